"""The autograded lab: solution markers, the student handout, the grader, Gradescope.

The reference marks each exercise's solution in the source
(:mod:`lab.grading.markers`); :mod:`lab.grading.exercises` lists the
exercises; :mod:`lab.grading.handout` writes the student release;
:mod:`lab.grading.grader` runs the exercise tests against a submission:
trusted pytest in a subprocess whose tests call the student's code through
:mod:`lab.grading.sandbox` (a confined child, :mod:`lab.grading.confinement`,
running :mod:`lab.grading.drivers`), on a submission laid out by
:mod:`lab.grading.layout` (folders or loose exercise files) in
:mod:`lab.grading.workspace`; :mod:`lab.grading.answers` collects the
notebook's written answers as data. :mod:`lab.grading.gradescope` writes
Gradescope's ``results.json`` and :mod:`lab.grading.bundle` its
``autograder.zip``. :mod:`lab.grading.reference` finds the reference: the
checkout, or what an installed wheel ships.
"""
