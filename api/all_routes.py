"""Every intake route serve.py mounts beside the pages: the API's, Slack's, Zendesk's and Intercom's."""

from starlette.routing import BaseRoute

from api import routes, slack_routes, ticket_routes

ROUTES: list[BaseRoute] = [*routes.ROUTES, *slack_routes.ROUTES, *ticket_routes.ROUTES]
