"""What the paired recipes' end-to-end tests share (imported by name: tests/ is on sys.path):
a small talking demo, and (from resumed_runs) the fit command line at smoke size and the
exact-resume check."""

from resumed_runs import assert_resumes_exactly, smoke_fit  # noqa: F401  (re-exported)

from pipelines.demo.talking import build_talking


def small_talking(tmp_path_factory):
    """3 identities x 4 pairs of the talking demo."""
    return build_talking(tmp_path_factory.mktemp("talking") / "talking", identities=3,
                         per_identity=4)
