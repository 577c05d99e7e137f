"""Where everything is kept: engines and migrations, the store handle and its one write transaction, the event history, settings, the Google Sheets backend, and copying between stores."""
