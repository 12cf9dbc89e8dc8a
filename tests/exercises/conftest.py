"""Exercise tests: one module per exercise, each test worth ``@pytest.mark.points(n)``.

Rules the grader relies on (see :mod:`lab.grading.inventory`): graded tests
are plain module-level functions, never parametrized; each exercise's tests
call only that exercise's functions (other exercises are replaced by small
stand-ins in the test), so one broken exercise never costs another's points.
Tests between ``# BEGIN HIDDEN TESTS`` and ``# END HIDDEN TESTS`` run only
in the grader. This conftest imports nothing from the submission, so a
submission that cannot be imported fails its tests instead of the run.
"""
