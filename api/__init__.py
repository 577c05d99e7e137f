"""The intake HTTP layer: Starlette routes served by the app's own server (serve.py); the domain is cxos/intake/."""
