"""The local stack: an embedded, serialized AWS emulator and the `make run` launcher.

Development and test tooling only (moto is a dev dependency); never imported
by the Lambda package.
"""
