"""The Chalice application: it registers the blueprints, nothing else."""
from chalice import Chalice

from chalicelib.api import bookings, offices

app = Chalice(app_name="citizen-scheduler")
app.register_blueprint(offices.bp)
app.register_blueprint(bookings.bp)
