"""ActivityPub protocol pieces with no database and no domain knowledge.

Filled by the federation issue: vocabulary, AS2 converters, HTTP signatures,
WebFinger, NodeInfo and the safe remote fetch. Imports nothing of the project.
"""
