"""Recall's rules and vocabulary: plain Python with no storage, chat platform or driver.

Everything here is a pure function of its arguments (time included): grading,
scheduling, streaks, XP, card selection, session transitions and the errors they
raise. Services load state from storage, call these rules, and store what they
decide; front ends turn the results and errors into words.
"""
