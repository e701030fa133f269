"""Deployment: the CloudFormation merge template and IAM policies (``template``), packaging (``package``)."""
