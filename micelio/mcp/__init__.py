"""``mic mcp``: a Model Context Protocol server over a checkout, for coding agents.

``checkout``  the checkout the server is pinned to, and the paths an agent may name in it
``tools``     what each tool does, through the same workflow and client calls as the CLI
``text``      how results read for an agent (plain text beside the structured content)
``prompts``   the ``work-in-a-session`` prompt
``server``    the SDK's ``MCPServer``: tools (by the token's role), resources, prompt, errors;
              stdio and streamable HTTP

The CLI (``micelio.cli.mcp_cmd``) finds the checkout, the server and the token, asks the
server what the token may do (``WhoAmI``) and serves; it hands in its own error wording, so
that a tool error reads as the CLI's one-line error.
"""
