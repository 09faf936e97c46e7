"""``kaoping demo``: the county's mid-year assessment end to end over real HTTP.

``steps.STEPS`` lists the steps in order, one module each; ``config.DemoSettings`` is
what the demo reads from the environment, once, when the command starts.
"""
