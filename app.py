"""The Chalice application: it registers the blueprints, nothing else."""
from chalice import Chalice

from chalicelib.api import bookings, dev, docs, middleware, offices, pages, schedule, staff

app = Chalice(app_name="citizen-scheduler")
app.register_blueprint(offices.bp)
app.register_blueprint(bookings.bp)
app.register_blueprint(schedule.bp)
app.register_blueprint(staff.bp)
app.register_blueprint(dev.bp)
app.register_blueprint(pages.bp)
app.register_blueprint(docs.bp)
app.register_middleware(middleware.problem_errors, "http")
