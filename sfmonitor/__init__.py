"""sfmonitor: watch an org's Salesforce Bulk API jobs live."""

__version__ = "0.1.0"
