"""The configuration: composing it outside Hydra, its resolvers, the options of each knob,
and the one early check of a composed config. Torch-free."""
