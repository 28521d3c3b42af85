"""The record of issued resident cards that the site shows (written by the minting pipeline)."""
