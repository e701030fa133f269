"""Appointment scheduler for citizen attention offices."""
