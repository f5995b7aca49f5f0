"""The self-contained bundle verifier that every evidence bundle carries as verify.py."""
