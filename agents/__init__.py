"""intags_agents: things that act in an intags-env market (installed from the top-level ``agents/`` folder).

Reference trading agents, the world-agent generator and the cWGAN baseline live here; ``intags_env``
never imports this package, environments take agents as arguments.
"""
