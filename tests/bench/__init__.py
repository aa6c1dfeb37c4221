"""The benchmarks run end to end in their quick mode."""
