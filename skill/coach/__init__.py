"""The coach: Step Coach itself, a plain function of an Alexa request envelope.

Handlers decide, templates speak, content is data. Nothing here knows of HTTP, Lambda,
terminals or audio; the shells in :mod:`skill.serve` and :mod:`skill.local` wrap it.
"""
