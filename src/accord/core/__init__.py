"""The pure core of Accord: SLA arithmetic with no I/O, no clock reads and no globals."""
