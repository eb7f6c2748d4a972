"""Quality measures that do not trust the critic (torch).

    evaluate.py       2-D data: exact W1 (optimal transport), mode coverage, their real-vs-real floor
    image_quality.py  images: FID, KID and the Inception Score on a named feature extractor
    features.py       the small digit classifier behind FID on 28-pixel digits (trained once, cached)

The trainer's evaluation schedule that calls them (the fixed reference, the floor, the best snapshot)
is training's: ../evaluator.py.
"""
