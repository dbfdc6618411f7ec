"""The memory: every job seen, in a SQLite file that outlives the org's 7 days. No Textual.

- :mod:`.schema`: the file, its schema version and forward migrations; a newer file is refused.
- :mod:`.rows`: a job as a row and back (Salesforce's field names, the phase rule's words).
- :mod:`.writer`: one poll's changes in one transaction; timelines thinned as jobs age; retention.
- :mod:`.reader`: what ``history``, the dashboard's instant start and the usual pace ask.
- :mod:`.recording`: the writer on its own thread, so a poll costs the event loop a queue put.
"""
