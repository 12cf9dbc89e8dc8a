"""The autograded lab: solution markers, the student handout, the grader, Gradescope.

The reference marks each exercise's solution in the source
(:mod:`lab.grading.markers`); :mod:`lab.grading.exercises` lists the
exercises; :mod:`lab.grading.handout` writes the student release;
:mod:`lab.grading.grader` runs the exercise tests against a submission in
a subprocess and :mod:`lab.grading.gradescope` writes Gradescope's
``results.json`` and ``autograder.zip``.
"""
