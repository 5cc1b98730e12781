"""The models of assignment 1."""

from .k_nearest_neighbor import KNearestNeighbor

__all__ = ["KNearestNeighbor"]
