"""Citizen notifications: pure rendering of e-mails, MIME messages and SMS texts.

Nothing here does I/O, reads the clock or the environment, or talks to AWS: the
caller passes every fact in (:class:`~chalicelib.messages.content.MessageFacts`) and
gets text or bytes back, ready for SES or SNS. Catalan, Spanish and English.
"""
