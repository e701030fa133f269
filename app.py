"""The Chalice application: it registers the blueprints, nothing else."""
from chalice import Chalice

from chalicelib.api import offices

app = Chalice(app_name="citizen-scheduler")
app.register_blueprint(offices.bp)
