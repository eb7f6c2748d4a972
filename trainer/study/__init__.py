"""Studies: many runs that answer one question (is WGAN stabler? over seeds and settings).

    design.py    the fixed design: algorithms x settings samples x seeds (no torch, no optuna)
    queue.py     Optuna as its queue and record (SQLite in the runs folder, or PostgreSQL between machines)
    worker.py    takes points from the queue and trains each as an ordinary run folder (child processes)
    command.py   python -m wgan_watch study NAME ... (run, --join, --status)
    analysis.py  what a study shows, from its run folders alone: best quality, success rates with intervals,
                 expected best against settings tried, time to quality, seed bands (what the dashboard reads)
"""
