"""Readers and writers: files in, core values out."""
