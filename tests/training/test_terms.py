"""Loss terms on hand-made critiques: closed forms for the penalties and the AC-GAN parts."""

import keras
import numpy as np
import pytest

from keras_avgan.training import terms

W = np.array([[3.0], [4.0]], np.float32)  # a linear critic D(x) = <w, x> with ||w|| = 5


def critique(real_logits=(1.0, -1.0), fake_logits=(0.5, 0.5), real=None, fake=None,
             conditions=None, real_heads=None, fake_heads=None):
    real = np.ones((2, 2), np.float32) if real is None else real
    fake = np.zeros((2, 2), np.float32) if fake is None else fake
    return terms.Critique(
        real=keras.ops.convert_to_tensor(real), fake=keras.ops.convert_to_tensor(fake),
        conditions=conditions or {},
        real_out={"logit": np.array(real_logits, np.float32)[:, None], **(real_heads or {})},
        fake_out={"logit": np.array(fake_logits, np.float32)[:, None], **(fake_heads or {})},
        critic=lambda x: keras.ops.matmul(x, W), seed_generator=keras.random.SeedGenerator(0))


def test_gradient_penalty_of_a_linear_critic_is_its_slope_minus_one_squared():
    share, values = terms.GradientPenalty(10.0).on_discriminator(critique())
    assert float(values["gp"]) == pytest.approx((5.0 - 1.0) ** 2, rel=1e-5)
    assert float(share) == pytest.approx(160.0, rel=1e-5)
    assert float(values["w_dist"]) == pytest.approx(0.0 - 0.5)  # E[D(x)] - E[D(G(z))]


def test_r1_is_half_gamma_times_the_squared_slope():
    share, values = terms.R1Penalty(4.0).on_discriminator(critique())
    assert float(values["r1"]) == pytest.approx(25.0, rel=1e-5)
    assert float(share) == pytest.approx(0.5 * 4.0 * 25.0, rel=1e-5)
    with pytest.raises(ValueError, match="r1_gamma"):
        terms.R1Penalty(-1.0)


def test_r1_over_several_heads_is_the_squared_slope_of_their_sum():
    c = critique()
    # Heads <w, x> and <(1, 2), x>: their sum has slope (4, 6), squared norm 52.
    c.critic_outputs = lambda x: {"logit": keras.ops.matmul(x, W), "face_logit":
                                  keras.ops.matmul(x, np.array([[1.0], [2.0]], np.float32))}
    values = terms.R1Penalty(2.0, heads=("logit", "face_logit")).on_discriminator(c)[1]
    assert float(values["r1"]) == pytest.approx(52.0, rel=1e-5)


def test_lazy_r1_is_due_one_update_in_every_and_weighted_as_many_times():
    lazy = terms.R1Penalty(4.0, every=3)
    c = critique()
    for step, expected in ((0, 25.0), (1, 0.0), (2, 0.0), (3, 25.0)):
        c.step = keras.ops.convert_to_tensor(step)
        share, values = lazy.on_discriminator(c)
        assert float(values["r1"]) == pytest.approx(expected, rel=1e-5)
        assert float(share) == pytest.approx(0.5 * 4.0 * 3 * expected, rel=1e-5)
    with pytest.raises(ValueError, match="r1_every"):
        terms.R1Penalty(1.0, every=0)


def test_r1_with_a_shrunk_batch_judges_the_first_rows_under_their_own_conditions():
    # D(x, c) = c * <w, x>: a row's squared slope is 25 c^2, so the rows judged (and which
    # conditions came with them) show in the mean.
    scale = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    c = critique(real=np.ones((4, 2), np.float32), conditions={"c": scale})

    def outputs(x, conditions=None):
        rows = (conditions or c.conditions)["c"][:, None]
        return {"logit": rows * keras.ops.matmul(x, W)}

    c.critic_outputs = outputs
    full = terms.R1Penalty(2.0, heads=("logit", "logit")).on_discriminator(c)[1]["r1"]
    shrunk = terms.R1Penalty(2.0, heads=("logit", "logit"),
                             batch_shrink=2).on_discriminator(c)[1]["r1"]
    # Two heads summed: slope 2 c w, squared 100 c^2.
    assert float(full) == pytest.approx(100.0 * np.mean(scale ** 2), rel=1e-5)
    assert float(shrunk) == pytest.approx(100.0 * np.mean(scale[:2] ** 2), rel=1e-5)
    with pytest.raises(ValueError, match="r1_batch_shrink"):
        terms.R1Penalty(1.0, batch_shrink=0)


def test_a_half_adversarial_term_is_the_loss_again_on_its_own_head():
    # The non-saturating loss on logit 0 is log 2 per example, real or fake.
    c = critique(real_heads={"voice_logit": np.zeros((2, 1), np.float32)},
                 fake_heads={"voice_logit": np.array([[0.0], [np.log(3.0)]], np.float32)})
    term = terms.HalfAdversarial("voice_logit", "dcgan")
    share, values = term.on_discriminator(c)
    # D: softplus(-0) for the reals, softplus(0) and softplus(log 3) = log 4 for the fakes.
    assert float(share) == pytest.approx(np.log(2.0) + (np.log(2.0) + np.log(4.0)) / 2,
                                         rel=1e-5)
    assert set(values) == {"d_loss_voice"} and term.g_metrics == ("g_loss_voice",)
    g_share = term.on_generator(c)[0]  # softplus(-0) and softplus(-log 3) = log(4 / 3)
    assert float(g_share) == pytest.approx((np.log(2.0) + np.log(4.0 / 3.0)) / 2, rel=1e-5)


def test_drift_is_the_mean_squared_real_logit():
    share, values = terms.Drift(0.1).on_discriminator(critique(real_logits=(2.0, -4.0)))
    assert float(share) == pytest.approx(0.1 * (4.0 + 16.0) / 2) and values == {}


def test_auxiliary_classifier_cross_entropies_and_accuracy():
    # Logits (0, log 3) give p = (1/4, 3/4): CE is log 4 for class 0, log(4/3) for class 1.
    logits = np.array([[0.0, np.log(3.0)], [0.0, np.log(3.0)]], np.float32)
    c = critique(conditions={"pitch": np.array([0, 1], np.int32)},
                 real_heads={"classes": logits}, fake_heads={"classes": logits[:, ::-1]})
    share, values = terms.AuxiliaryClassifier("pitch", 2.0).on_discriminator(c)
    expected = (np.log(4.0) + np.log(4.0 / 3.0)) / 2
    assert float(values["ac_loss_d"]) == pytest.approx(expected, rel=1e-5)
    assert float(share) == pytest.approx(2.0 * expected, rel=1e-5)
    assert float(values["aux_accuracy_real"]) == 0.5  # argmax is class 1 for both
    on_fakes = terms.AuxiliaryClassifier("pitch", 2.0, on_fakes=True).on_discriminator(c)[1]
    assert float(on_fakes["ac_loss_d"]) == pytest.approx(2 * expected, rel=1e-5)
    # The generator is scored on the fakes' class logits: (log 3, 0) is the mirror image.
    g_values = terms.AuxiliaryClassifier("pitch", 2.0).on_generator(c)[1]
    assert float(g_values["ac_loss_g"]) == pytest.approx((np.log(4 / 3) + np.log(4)) / 2,
                                                         rel=1e-5)


def test_an_auxiliary_classifier_of_another_head_reads_it_and_names_its_metrics():
    logits = np.array([[0.0, np.log(3.0)], [0.0, np.log(3.0)]], np.float32)
    c = critique(conditions={"identity": np.array([0, 1], np.int32)},
                 real_heads={"classes": logits[:, ::-1], "voice_classes": logits},
                 fake_heads={"classes": logits, "voice_classes": logits[:, ::-1]})
    term = terms.AuxiliaryClassifier("identity", 1.0, head="voice_classes")
    assert term.d_metrics == ("ac_loss_d_voice", "aux_accuracy_real_voice")
    values = term.on_discriminator(c)[1]
    expected = (np.log(4.0) + np.log(4.0 / 3.0)) / 2  # the voice head's, not the joint's
    assert float(values["ac_loss_d_voice"]) == pytest.approx(expected, rel=1e-5)
    assert set(term.on_generator(c)[1]) == {"ac_loss_g_voice"}
    assert terms.deserialize(terms.serialize(term)).head == "voice_classes"


def test_terms_round_trip_through_their_configs():
    for term in (terms.GradientPenalty(3.0), terms.R1Penalty(1.0),
                 terms.R1Penalty(1.0, heads=("logit", "face_logit"), every=4),
                 terms.R1Penalty(1.0, heads=("logit", "voice_logit"), batch_shrink=2),
                 terms.HalfAdversarial("face_logit", "hinge"), terms.Drift(0.001),
                 terms.AuxiliaryClassifier("identity", 1.5, True)):
        again = terms.deserialize(terms.serialize(term))
        assert type(again) is type(term) and again.get_config() == term.get_config()


def test_l1_reconstruction_is_the_mean_absolute_gap_to_the_pairs_own_example():
    made = {"image": np.array([[1.0, 2.0]], np.float32), "audio": np.zeros((1, 3), np.float32)}
    pair = {"image": np.array([[0.0, 4.0]], np.float32), "audio": np.ones((1, 3), np.float32)}
    c = terms.Critique(real=pair, fake=made, conditions={}, real_out=None,
                       fake_out={"logit": np.zeros((1, 1), np.float32)}, critic=None,
                       seed_generator=None)
    share, values = terms.L1Reconstruction(50.0, output="image").on_generator(c)
    assert float(values["l1"]) == pytest.approx(1.5) and float(share) == pytest.approx(75.0)
    assert float(terms.L1Reconstruction(1.0, output="audio").on_generator(c)[0]) == 1.0


def test_feature_matching_compares_batch_means_and_holds_the_real_side_fixed():
    import tensorflow as tf

    real_features = tf.Variable([[0.0, 0.0], [0.0, 2.0]])  # batch mean [0, 1]
    fake_features = tf.Variable([[1.0, 1.0], [3.0, 3.0]])  # batch mean [2, 2]
    with tf.GradientTape(persistent=True) as tape:
        c = terms.Critique(real=np.zeros((2, 1), np.float32), fake=None, conditions={},
                           real_out=None, fake_out={"logit": None, "features": fake_features},
                           critic=None, seed_generator=None,
                           critic_outputs=lambda x: {"features": real_features * 1.0})
        share, values = terms.FeatureMatching(100.0).on_generator(c)
    assert float(values["feature_matching"]) == pytest.approx((2.0 ** 2 + 1.0 ** 2) / 2)
    assert float(share) == pytest.approx(250.0)
    assert tape.gradient(share, real_features) is None  # a target, not trained through
    np.testing.assert_allclose(tape.gradient(share, fake_features).numpy(),
                               # d/d fake = 100 * 2 * gap / (2 features x 2 rows)
                               [[100.0, 50.0], [100.0, 50.0]])
    with pytest.raises(ValueError, match="returns 'features'"):
        terms.FeatureMatching().on_generator(terms.Critique(
            real=None, fake=None, conditions={}, real_out=None, fake_out={"logit": None},
            critic=None, seed_generator=None))


@pytest.mark.parametrize("loss, expected", [
    ("lsgan", (0.25 + 4.0) / 2),  # E[D(x_w)^2]: the fake target 0
    ("hinge", (1.5 + 3.0) / 2),  # E[relu(1 + D(x_w))]
    ("wgan-gp", (0.5 + 2.0) / 2),  # E[D(x_w)]
    ("dcgan", (np.log1p(np.exp(0.5)) + np.log1p(np.exp(2.0))) / 2),  # E[softplus(D(x_w))]
])
def test_a_mismatched_pair_is_judged_as_a_fake_by_the_critics_own_loss(loss, expected):
    wrong = np.array([[0.5], [2.0]], np.float32)
    c = critique(conditions={"mismatched_image": wrong})
    c.critic = lambda x: x  # the logit is the example itself
    share, values = terms.MismatchedPair(2.0, loss=loss).on_discriminator(c)
    assert float(values["mismatched"]) == pytest.approx(expected, rel=1e-5)
    assert float(share) == pytest.approx(2.0 * expected, rel=1e-5)
    with pytest.raises(ValueError, match="unknown loss"):
        terms.MismatchedPair(loss="wgan")


def test_a_mismatched_pair_of_dicts_keeps_the_real_voice_and_swaps_in_the_other_face():
    voice = keras.ops.convert_to_tensor(np.array([[1.0], [3.0]], np.float32))
    c = critique(conditions={"mismatched_image": np.array([[0.5], [2.0]], np.float32)})
    c.real = {"image": keras.ops.zeros((2, 1)), "audio": voice}
    seen = {}

    def critic(pair):  # the logit: face + voice
        seen.update(pair)
        return pair["image"] + pair["audio"]

    c.critic = critic
    _, values = terms.MismatchedPair(1.0, loss="wgan-gp").on_discriminator(c)
    np.testing.assert_array_equal(np.asarray(seen["audio"]), [[1.0], [3.0]])
    assert float(values["mismatched"]) == pytest.approx((1.5 + 5.0) / 2)


def test_every_term_round_trips_through_its_config():
    for term in (terms.L1Reconstruction(5.0, output="image"), terms.FeatureMatching(3.0),
                 terms.MismatchedPair(0.5, loss="hinge", key="other")):
        again = terms.deserialize(terms.serialize(term))
        assert type(again) is type(term) and again.get_config() == term.get_config()
