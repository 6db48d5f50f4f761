"""The hub: database, domain services, web, jobs and CLI of the bonded warehouse."""
