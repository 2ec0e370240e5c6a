"""Deploy the skill as Alexa skill builders do: an ASK CLI project and a Lambda zip.

``python -m skill.deploy`` (or ``./dev package``) writes ``build/ask-project``: the skill
manifest generated from the content, the interaction models, the handler's code, a
CloudFormation template for the function, its DynamoDB table and a least-privilege role,
and the deployment zip with dependencies built for Lambda's platform. A build-time shell:
it reads the coach (through :mod:`skill.deploy.sources` only); nothing at run time
imports it.
"""
