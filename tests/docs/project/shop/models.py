"""Empty on disk: the docs test registers here the models each page's examples declare."""
