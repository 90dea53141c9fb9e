"""The read models' SQL: leaderboard, class progress, learner stats, heatmap counts,
deck progress and the export, as transaction scripts over the roll-ups of schema V5.

Each module returns plain records with Recall's internal ids where the caller needs
no more, and the learner's platform identity where a front end shows them.
"""
