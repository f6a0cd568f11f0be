"""icp — grade accounts against plain-language ICP segments and turn fit into ranked prospecting tasks."""

__version__ = "0.1.0"
