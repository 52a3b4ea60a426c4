"""Theano 1.0's random numbers, exactly.

- ``RandomStreams`` (theano.tensor.shared_randomstreams): the values Theano's tutorial
  prints ("Using Random Numbers", doc/tutorial/examples.txt), the tutorial's seeding and
  state handling, and every distribution against the numpy call Theano made.
- ``MRG_RandomStreams`` (theano.sandbox.rng_mrg): Theano's reference samples (the
  ``java_samples`` of theano/sandbox/tests/test_rng_mrg.py, produced by L'Ecuyer's Java code)
  and, for every distribution, a transcription of Theano 1.0's code written here from its
  source (int32 arithmetic with wrap-around, the matrices of its jumps, its C loops).
"""

import pickle

import numpy as np
import pytest

import arignote
import arignote.tensor as T
from arignote.sandbox import rng_mrg
from arignote.sandbox.rng_mrg import MRG_RandomStreams
from arignote.tensor.shared_randomstreams import RandomStreams

MODES = ["FAST_RUN", "FAST_COMPILE"]  # the C backend, the numpy reference backend

# samples_MRG31k3p_12_7_5.txt: seed [12345]*6, 12 streams, 7 substreams each, 5 samples each.
JAVA_TEXT = """
    0.7353244530968368 0.6142074400559068 0.11007806099951267 0.6487741703167558
    0.36619443260133266 0.2585685825906694 0.9489980279468 0.4309556516818702 0.12257590936496854
    0.9760319022461772 0.6940806899219751 0.18046841165050864 0.003993193618953228
    0.5351603352464736 0.02472442388534546 0.7705746139399707 0.8138928869739175
    0.9650539481081069 0.24507411010563374 0.35767574002966285 0.4939101580530405
    0.9027785388752818 0.27498403564095497 0.03848231676965952 0.3081609820947051
    0.9062023567967117 0.009030417073518038 0.7953705741092563 0.5061718439683318
    0.5975547162815928 0.5435514179989696 0.330895590595901 0.49919482320547104 0.9409166998229921
    0.8276205519214272 0.5180770065635443 0.2319392478093505 0.36197659047320485
    0.11120751267299056 0.5018561617471278 0.47852187464013696 0.7188052111305296
    0.3030327311716974 0.6756376498378813 0.03624899685382843 0.34987151669338346
    0.031225718092173338 0.06772322440519929 0.06820952938869596 0.9987128847278655
    0.08330700965598226 0.9731874465942383 0.6345655219629407 0.7169904578477144
    0.5793502484448254 0.7396790678612888 0.9926023166626692 0.7522463691420853 0.6768838302232325
    0.3253784184344113 0.05375300580635667 0.4912636987864971 0.6485021142289042
    0.3043024237267673 0.24868384934961796 0.8166692252270877 0.5274319797754288
    0.31434731651097536 0.9961257497780025 0.3549888739362359 0.8423425843939185
    0.21591948671266437 0.8698299624957144 0.17033040337264538 0.22816143138334155
    0.11795765580609441 0.7024209997616708 0.15607220400124788 0.5493582566268742
    0.5827712984755635 0.8592293248511851 0.785309090744704 0.6115233600139618
    0.019046304281800985 0.2573754615150392 0.03130705002695322 0.6572857238352299
    0.2033171127550304 0.5058645992539823 0.15793190989643335 0.6273676953278482
    0.7285307059064507 0.265245848800987 0.6073522809892893 0.3896624594926834 0.27189663611352444
    0.705508322454989 0.12823439668864012 0.39648046158254147 0.6584051586687565
    0.07818163838237524 0.33628708589822054 0.20613654889166355 0.4277639244683087
    0.5401185592636466 0.07513022050261497 0.4920963351614773 0.18214095244184136
    0.3235122123733163 0.29958881670609117 0.7304665613919497 0.05146520072594285
    0.2471711952239275 0.8797005712985992 0.5029069227166474 0.526974250562489 0.15968210343271494
    0.4696163134649396 0.17607332626357675 0.362843859475106 0.7626461815088987 0.960180682130158
    0.2536660563200712 0.710880630183965 0.28728525526821613 0.78940424695611 0.5242114691063762
    0.8314367309212685 0.5898511232808232 0.015212591737508774 0.4944482510909438
    0.06396882887929678 0.519745257217437 0.3558214954100549 0.04566589882597327
    0.8368005948141217 0.979805170558393 0.7622401369735599 0.2578657674603164 0.5378834479488432
    0.9926298237405717 0.4013678622432053 0.510077933780849 0.018817965406924486
    0.21481098141521215 0.5357040031813085 0.8512061606161296 0.009026535786688328
    0.27302876580506563 0.21162108704447746 0.5273029855452478 0.1086404686793685
    0.14079083362594247 0.14331109775230289 0.8190496540628374 0.3947252375073731
    0.28109811525791883 0.4066850380040705 0.9154577874578536 0.8929708409123123
    0.13500721845775843 0.6328344400972128 0.5668322211131454 0.5448646773584187
    0.5418433886952698 0.1141617177054286 0.15885689994320273 0.3867143443785608
    0.5574855520389974 0.9173167692497373 0.22908265376463532 0.2047420055605471
    0.05979115655645728 0.44121386017650366 0.9507057839073241 0.15352962678298354
    0.23290937673300505 0.46427791472524405 8.519855327904224E-4 0.7947354763746262
    0.6385304923169315 0.8696001935750246 0.6022149357013404 0.02299323584884405
    0.5036068987101316 0.7541037476621568 0.9995524706318974 0.5888469088822603 0.3318097642622888
    0.32492663664743304 0.6643895329907537 0.3656829949468374 0.4912424306385219
    0.1900841724127531 0.5945985522121191 0.5709856003522873 0.35780346347019076 0.388774358201772
    0.9446004652418196 0.14594348100945354 0.6250799335539341 0.5504232128150761
    0.16380576323717833 0.7428167965263128 0.5522975320927799 0.655389194842428
    0.47579632699489594 0.29743909696117043 0.6319712968543172 0.8178138644434512
    0.2785301594994962 0.46813122322782874 0.2898342702537775 0.3287009159103036
    0.12909299414604902 0.5859099281951785 0.1891166502609849 0.14497734932228923
    0.5543341124430299 0.11846801871433854 0.8499364419840276 0.6603211951442063
    0.35630465345457196 0.9680569358170033 0.6639338186942041 0.24408268369734287
    0.030771974939852953 0.17226932244375348 0.7909302446059883 0.4327161009423435
    0.6732332338578999 0.0849734228104353 0.7278832173906267 0.5536605608649552 0.7091806619428098
    0.01754110073670745 0.8406045655719936 0.4815619965083897 0.0535086034797132
    0.9874794147908688 0.07097038673236966 0.023544831201434135 0.42413365049287677
    0.2970325672067702 0.48028060607612133 0.1990663455799222 0.6099434774369001
    0.5050413520075381 0.7814605687744915 0.2650358658283949 0.5148864723742008 0.7807142282836139
    0.0976667134091258 0.1516015767119825 0.6566055505536497 0.3946392172947526 0.8052488421089947
    0.2964451564475894 0.07394864456728101 0.6961450576782227 0.01576960226520896
    0.3434433783404529 0.08799878368154168 0.785557022318244 0.7494717631489038
    0.45548726338893175 0.7672475459985435 0.5134695749729872 0.7000438082031906
    0.49818582693114877 0.4293400440365076 0.9961911663413048 0.016769078094512224
    0.013044610153883696 0.8661804771982133 0.7819683295674622 0.33438047766685486
    0.966121535282582 0.7259743176400661 0.9887824659235775 0.9494950002990663
    0.037431647535413504 0.8268285538069904 0.7355263698846102 0.3120658891275525
    0.3588241692632437 0.471130283549428 0.7047113911248744 0.980073744431138 0.6762627908028662
    0.869295812677592 0.9070576094090939 0.7852784115821123 0.16342713963240385
    0.06330870278179646 0.6165989111177623 0.342802997212857 0.8414176292717457 0.6921333004720509
    0.2594374935142696 0.4386491202749312 0.555369642097503 0.3660965468734503 0.6484139142557979
    0.9005299550481141 0.25335891311988235 0.23852926725521684 0.9044205779209733
    0.8694673446007073 0.46783560374751687 0.34727911837399006 0.19556640228256583
    0.8798208390362561 0.3131108647212386 0.6312824171036482 0.5722001581452787 0.9441223978064954
    0.7707183314487338 0.17464511329308152 0.08897313429042697 0.5044040409848094
    0.5735817537643015 0.4467783076688647 0.19051036844030023 0.4578995378687978
    0.6395204453729093 0.460110604763031 0.576092894654721 0.7038368303328753 0.5555814192630351
    0.4171535111963749 0.8905360852368176 0.12811446748673916 0.6814800254069269
    0.8502416326664388 0.12028768053278327 0.16715052351355553 0.3563938206061721
    0.049810963682830334 0.27328392397612333 0.2407418810762465 0.6631906591355801
    0.674483266659081 0.10489491606131196 0.04698043642565608 0.0812066881917417 0.312124056275934
    0.6798701109364629 0.7286937129683793 0.9784366562962532 0.5650205011479557 0.833059043623507
    0.8976074242964387 0.9441233519464731 0.6146679543890059 0.9019614770077169 0.5529476394876838
    0.7665416682139039 0.39598167687654495 0.26307358546182513 0.14862705068662763
    0.9521124185994267 0.17644333699718118 0.7684473628178239 0.4274347145110369
    0.6102834036573768 0.9328651092946529 0.058630190789699554 0.04729347629472613
    0.9597438890486956 0.6761234584264457 0.21832499839365482 0.20707347383722663
    0.7274158899672329 0.9477886455133557 0.7821800266392529 0.07305240212008357
    0.40399201214313507 0.22684293938800693 0.053185423370450735 0.330069282092154
    0.6862794999033213 0.7821815954521298 0.22617859859019518 0.8118352359160781
    0.015444065444171429 0.6732339109294116 0.9980663135647774 0.8833195753395557
    0.21191661106422544 0.32638366147875786 0.5747208022512496 0.07515769777819514
    0.02952938713133335 0.4980746121145785 0.8762881984002888 0.17386484891176224
    0.10696181375533342 0.5474299816414714 0.016154434997588396 0.6960771018639207
    0.47133891424164176 0.9015861176885664 0.782880718819797 0.6602211343124509 0.6578835439868271
    0.6049443730153143 0.17169494135305285 0.9915955001488328 0.10519243823364377
    0.37815978936851025 0.20879409136250615 0.45666090911254287 0.6456936108879745
    0.684759714640677 0.8762755445204675 0.8020628895610571 0.1663151141256094 0.31246642768383026
    0.18852565623819828
"""
JAVA_SAMPLES = np.array([float(word) for word in JAVA_TEXT.split()])


# ----------------------------------------------------------------- RandomStreams: the tutorial
def test_tutorial_copying_random_state_between_graphs():
    """doc/tutorial/examples.txt, "Copying Random State Between Theano Graphs"."""
    class Graph:
        def __init__(self, seed=123):
            self.rng = RandomStreams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1 = Graph(seed=123)
    f1 = arignote.function([], g1.y)
    g2 = Graph(seed=987)
    f2 = arignote.function([], g2.y)
    # "By default, the two functions are out of sync."
    np.testing.assert_allclose(f1(), [0.72803009], atol=5e-9)
    np.testing.assert_allclose(f2(), [0.55056769], atol=5e-9)
    for su1, su2 in zip(g1.rng.state_updates, g2.rng.state_updates):
        su2[0].set_value(su1[0].get_value())
    # "We now copy the state of the theano random number generators."
    np.testing.assert_allclose(f1(), [0.59044123], atol=5e-9)
    np.testing.assert_allclose(f2(), [0.59044123], atol=5e-9)


def _stream(seed, k):
    """The RandomState of the k-th stream of ``RandomStreams(seed)`` (Theano's seeding)."""
    seeds = np.random.RandomState(seed)
    return np.random.RandomState([int(seeds.randint(2 ** 30)) for _ in range(k + 1)][-1])


@pytest.mark.parametrize("mode", MODES)
def test_tutorial_brief_example_seeding_and_sharing(mode):
    """doc/tutorial/examples.txt, "Brief Example", "Seeding Streams", "Sharing Streams"."""
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = arignote.function([], rv_u, mode=mode)
    g = arignote.function([], rv_n, no_default_updates=True, mode=mode)
    nearly_zeros = arignote.function([], rv_u + rv_u - 2 * rv_u, mode=mode)
    u_rng, n_rng = _stream(234, 0), _stream(234, 1)
    f_val0, f_val1 = f(), f()
    np.testing.assert_array_equal(f_val0, u_rng.uniform(0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(f_val1, u_rng.uniform(0.0, 1.0, (2, 2)))
    g_val0, g_val1 = g(), g()
    np.testing.assert_array_equal(g_val0, n_rng.normal(0.0, 1.0, (2, 2)))
    np.testing.assert_array_equal(g_val1, g_val0)
    np.testing.assert_allclose(nearly_zeros(), np.zeros((2, 2)), atol=1e-15)

    rng_val = rv_u.rng.get_value(borrow=True)   # Get the rng for rv_u
    rng_val.seed(89234)                         # seeds the generator
    rv_u.rng.set_value(rng_val, borrow=True)    # Assign back seeded rng
    np.testing.assert_array_equal(f(), np.random.RandomState(89234).uniform(size=(2, 2)))

    srng.seed(902340)  # seeds rv_u and rv_n with different seeds each
    np.testing.assert_array_equal(f(), _stream(902340, 0).uniform(size=(2, 2)))
    np.testing.assert_array_equal(g(), _stream(902340, 1).normal(size=(2, 2)))

    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()       # this affects rv_u's generator
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()             # v2 != v1
    v3 = f()             # v3 == v1
    assert not np.array_equal(v2, v1)
    np.testing.assert_array_equal(v3, v1)


def test_states_are_numpy_random_states():
    srng = RandomStreams(seed=5)
    rv = srng.normal((3,))
    assert type(rv.rng.get_value()) is np.random.RandomState
    assert rv.rng.get_value().get_state()[0] == "MT19937"
    assert rv.rng.tag.is_rng and rv.rng.default_update is rv.update[1]
    state = arignote.shared(np.random.RandomState(3))
    assert type(state.get_value()) is np.random.RandomState
    assert str(rv.owner.op) == "RandomFunction{normal}"


# ----------------------------------------------------------------- RandomStreams: each draw
DISTRIBUTIONS = {
    "uniform": (lambda s: s.uniform((3, 4), low=-1.0, high=2.0),
                lambda r: r.uniform(-1.0, 2.0, (3, 4))),
    "uniform_float32": (lambda s: s.uniform((5,), dtype="float32"),
                        lambda r: r.uniform(0.0, 1.0, (5,)).astype("float32")),
    "normal": (lambda s: s.normal((4,), avg=1.0, std=3.0), lambda r: r.normal(1.0, 3.0, (4,))),
    "normal_vector_avg": (lambda s: s.normal(None, avg=np.arange(3.0)),
                          lambda r: r.normal(np.arange(3.0), 1.0, (3,))),
    "binomial": (lambda s: s.binomial((2, 5), n=4, p=0.3), lambda r: r.binomial(4, 0.3, (2, 5))),
    "random_integers": (lambda s: s.random_integers((6,), low=-3, high=3),
                        lambda r: np.array([r.randint(-3, 4) for _ in range(6)])),
    "choice": (lambda s: s.choice((4,), a=5, p=[0.1, 0.2, 0.3, 0.2, 0.2]),
               lambda r: r.choice(5, (4,), True, [0.1, 0.2, 0.3, 0.2, 0.2])),
    "choice_without_replacement": (lambda s: s.choice((3,), a=6, replace=False),
                                   lambda r: r.choice(6, (3,), False)),
    "poisson": (lambda s: s.poisson((5,), lam=3.0), lambda r: r.poisson(3.0, (5,))),
    "permutation": (lambda s: s.permutation((2,), n=5),
                    lambda r: np.array([r.permutation(5) for _ in range(2)])),
    "multinomial": (lambda s: s.multinomial((3,), n=6, pvals=[0.2, 0.3, 0.5]),
                    lambda r: np.array([r.multinomial(6, [0.2, 0.3, 0.5]) for _ in range(3)])),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_random_streams_draw_what_numpy_draws(name, mode):
    build, numpy_draw = DISTRIBUTIONS[name]
    srng = RandomStreams(seed=77)
    sample = build(srng)
    f = arignote.function([], sample, mode=mode)
    rng = _stream(77, 0)
    for _ in range(2):
        got, want = f(), numpy_draw(rng)
        assert got.dtype == sample.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_shuffle_row_elements():
    srng = RandomStreams(seed=8)
    x = T.dmatrix()
    shuffled = srng.shuffle_row_elements(x)
    f = arignote.function([x], [shuffled, shuffled.permutation])
    value = np.arange(12.0).reshape(3, 4)
    out, perm = f(value)
    rng = _stream(8, 0)
    np.testing.assert_array_equal(perm, [rng.permutation(4) for _ in range(3)])
    np.testing.assert_array_equal(out, np.take_along_axis(value, perm, axis=1))


# ----------------------------------------------------------------- RandomStreams: state handling
@pytest.mark.parametrize("mode", MODES)
def test_a_failed_call_leaves_the_random_state_unchanged(mode):
    srng = RandomStreams(seed=9)
    rv = srng.uniform((2, 2))
    x = T.dmatrix()
    f = arignote.function([x], rv + x, mode=mode)
    before = rv.rng.get_value().get_state()[1].copy()
    with pytest.raises(ValueError):
        f(np.zeros((3, 3)))
    np.testing.assert_array_equal(rv.rng.get_value().get_state()[1], before)
    np.testing.assert_array_equal(f(np.zeros((2, 2))), _stream(9, 0).uniform(size=(2, 2)))
    assert not np.array_equal(rv.rng.get_value().get_state()[1], before)


def test_compiled_function_with_random_streams_pickles():
    srng = RandomStreams(seed=10)
    rv = srng.normal((3,))
    f = arignote.function([], rv)
    f()
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(), f())   # the same state went into the pickle
    np.testing.assert_array_equal(g(), f())
    state = pickle.loads(pickle.dumps(rv.rng))
    assert type(state.get_value()) is np.random.RandomState


def test_scan_with_random_numbers_in_the_step():
    srng = RandomStreams(seed=11)
    m = T.dmatrix()

    def step(row):
        return row * srng.binomial(size=(3,), p=0.5, dtype="float64") + srng.normal((3,))

    out, updates = arignote.scan(step, sequences=[m])
    f = arignote.function([m], out, updates=updates)
    value = np.arange(12.0).reshape(4, 3)
    mask_rng, normal_rng = _stream(11, 0), _stream(11, 1)
    for _ in range(2):
        want = [row * mask_rng.binomial(1, 0.5, (3,)) + normal_rng.normal(0.0, 1.0, (3,))
                for row in value]
        np.testing.assert_array_equal(f(value), want)


# ----------------------------------------------------------------- MRG: Theano's reference samples
@pytest.mark.parametrize("mode", MODES)
def test_consistency_randomstreams(mode):
    """Theano's test_consistency_randomstreams: 12 samples of 7 substreams, 5 calls each."""
    assert JAVA_SAMPLES.shape == (12 * 7 * 5,)
    rng = MRG_RandomStreams(seed=12345)
    samples = []
    for _ in range(12):
        u = rng.uniform(size=(7,), nstreams=7, dtype="float64")
        f = arignote.function([], u, mode=mode)
        samples.append(np.array([f() for _ in range(5)]).T.flatten())
    np.testing.assert_array_equal(np.array(samples).flatten(), JAVA_SAMPLES)


def test_consistency_serial_float32():
    """Theano's test_consistency_cpu_serial, in float32: one substream at a time, each
    2**72 steps after the previous, each stream 2**134 after the previous."""
    samples = []
    stream = np.full(6, 12345, dtype=np.int32)
    for _ in range(12):
        substream = stream.copy()
        for _ in range(7):
            state = arignote.shared(substream.reshape(1, 6).copy())
            new_state, sample = rng_mrg.mrg_uniform.new(state, ndim=None, dtype="float32",
                                                        size=(1,))
            state.default_update = new_state
            f = arignote.function([], sample)
            samples += [f()[0] for _ in range(5)]
            substream = rng_mrg.ff_2p72(substream)
        stream = rng_mrg.ff_2p134(stream)
    samples = np.array(samples)
    assert samples.dtype == np.float32
    np.testing.assert_allclose(samples, JAVA_SAMPLES, rtol=0, atol=1e-7)
    # Theano's float32 numbers: the float of the integer times 4.6566126e-10f.
    integers = np.round(JAVA_SAMPLES * 2.0 ** 31).astype(np.int64)
    np.testing.assert_array_equal(
        samples, integers.astype(np.float32) * np.float32(4.6566126e-10))


# ----------------------------------------------------------------- MRG: Theano 1.0 transcribed
M1, M2 = 2147483647, 2147462579
A1P72 = [[1516919229, 758510237, 499121365], [1884998244, 1516919229, 335398200],
         [601897748, 1884998244, 358115744]]
A2P72 = [[1228857673, 1496414766, 954677935], [1133297478, 1407477216, 1496414766],
         [2002613992, 1639496704, 1407477216]]
A1P134 = [[1702500920, 1849582496, 1656874625], [828554832, 1702500920, 1512419905],
          [1143731069, 828554832, 102237247]]
A2P134 = [[796789021, 1464208080, 607337906], [1241679051, 1431130166, 1464208080],
          [1401213391, 1178684362, 1431130166]]


def _i32(value):
    """Wrap-around to int32, as Theano's int32 C code overflowed."""
    return (value + 2 ** 31) % 2 ** 32 - 2 ** 31


def _mat_vec_mod_m(matrix, vector, modulus):
    """Theano's matVecModM."""
    return np.int32(np.sum((np.asarray(matrix, dtype="int64") * vector) % modulus, 1) % modulus)


def _mult_mat_vect(v, a, m1, b, m2):
    return np.concatenate([_mat_vec_mod_m(a, v[:3], m1), _mat_vec_mod_m(b, v[3:], m2)])


class TheanoMRG:
    """MRG_RandomStreams of Theano 1.0, written from its source with plain Python ints."""

    def __init__(self, seed):
        self.rstate = np.asarray([seed] * 6 if np.ndim(seed) == 0 else seed, dtype="int32")

    def substreams(self, n_streams):
        """get_substream_rstates: rows 2**72 apart, then the base moves 2**134 on."""
        rows = np.zeros((n_streams, 6), dtype="int32")
        rows[0] = self.rstate
        for i in range(1, n_streams):
            rows[i] = _mult_mat_vect(rows[i - 1], A1P72, M1, A2P72, M2)
        self.rstate = _mult_mat_vect(self.rstate, A1P134, M1, A2P134, M2)
        return rows

    @staticmethod
    def next_integer(s):
        """mrg_next_value (and the C loop): one step of the stream ``s`` (six ints)."""
        x11, x12, x13, x21, x22, x23 = s
        y1 = _i32(((x12 & 511) << 22) + (x12 >> 9) + ((x13 & 16777215) << 7) + (x13 >> 24))
        if y1 < 0 or y1 >= M1:
            y1 = _i32(y1 - M1)
        y1 = _i32(y1 + x13)
        if y1 < 0 or y1 >= M1:
            y1 = _i32(y1 - M1)
        x13, x12, x11 = x12, x11, y1
        y1 = _i32(((x21 & 65535) << 15) + 21069 * (x21 >> 16))
        if y1 < 0 or y1 >= M2:
            y1 = _i32(y1 - M2)
        y2 = _i32(((x23 & 65535) << 15) + 21069 * (x23 >> 16))
        if y2 < 0 or y2 >= M2:
            y2 = _i32(y2 - M2)
        y2 = _i32(y2 + x23)
        if y2 < 0 or y2 >= M2:
            y2 = _i32(y2 - M2)
        y2 = _i32(y2 + y1)
        if y2 < 0 or y2 >= M2:
            y2 = _i32(y2 - M2)
        x23, x22, x21 = x22, x21, y2
        s[:] = [x11, x12, x13, x21, x22, x23]
        return x11 - x21 + M1 if x11 <= x21 else x11 - x21

    def unit_uniform(self, n, n_streams, dtype):
        """mrg_uniform: element i is the next number of stream i % n_streams."""
        streams = [[int(w) for w in row] for row in self.substreams(n_streams)]
        integers = [self.next_integer(streams[i % n_streams]) for i in range(n)]
        if dtype == "float32":
            return np.float32(integers) * np.float32(4.6566126e-10)
        return np.array(integers, dtype=np.float64) * 4.656612873077392578125e-10

    def uniform(self, size, low, high, dtype, n_streams):
        u = self.unit_uniform(int(np.prod(size)), n_streams, dtype).reshape(size)
        return u * (np.asarray(high, dtype) - np.asarray(low, dtype)) + np.asarray(low, dtype)

    def normal(self, size, avg, std, dtype):
        """Box-Muller on an even count of uniforms from 15360 streams (the size Theano gave
        to uniform was symbolic)."""
        n_odd = int(np.prod(size))
        n_even = n_odd + n_odd % 2
        u = self.uniform((n_even,), 0.0, 1.0, dtype, 15360)
        r = np.sqrt(np.asarray(-2.0, dtype) * np.log(u[:n_even // 2]))
        theta = np.asarray(2.0 * np.pi, dtype) * u[n_even // 2:]
        z = np.concatenate([r * np.cos(theta), r * np.sin(theta)])[:n_odd].reshape(size)
        return z * np.asarray(std, dtype) + np.asarray(avg, dtype)

    def multinomial(self, pvals, n):
        """MultinomialFromUniform's C loop over n * rows uniforms (floatX, 15360 streams)."""
        rows, k = pvals.shape
        unis = self.uniform((rows * n,), 0.0, 1.0, arignote.config.floatX, 15360)
        z = np.zeros((rows, k), dtype=np.int64)
        for c in range(n):
            for r in range(rows):
                cumulative = 0.0
                for m in range(k):
                    cumulative += float(pvals[r, m])
                    if cumulative > unis[c * rows + r]:
                        z[r, m] += 1
                        break
        return z

    def choice(self, pvals, size):
        """ChoiceFromUniform's C loop (without replacement)."""
        rows, k = pvals.shape
        unis = self.uniform((rows * size,), 0.0, 1.0, arignote.config.floatX, 15360)
        z = np.full((rows, size), -1, dtype=np.int64)
        kind = pvals.dtype.type
        for r in range(rows):
            row = [kind(v) for v in pvals[r]]
            for c in range(size):
                cumulative = 0.0
                for m in range(k):
                    cumulative += float(row[m])
                    if cumulative > unis[c * rows + r]:
                        z[r, c] = m
                        if c != size - 1:
                            total = kind(cumulative - float(row[m]))
                            row[m] = kind(0)
                            for q in row[m:]:
                                total = kind(total + q)
                            row = [kind(q / total) for q in row]
                        break
        return z


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_mrg_uniform_is_theanos(dtype, mode):
    srng, theano = MRG_RandomStreams(seed=234), TheanoMRG(234)
    u = srng.uniform((10, 20), low=-1.0, high=2.0, dtype=dtype)
    v = srng.uniform((13,), dtype=dtype)
    f = arignote.function([], [u, v], mode=mode)
    assert u.rng.get_value().shape == (33, 6) and v.rng.get_value().shape == (2, 6)
    first_u, first_v = f()
    want_u = theano.uniform((10, 20), -1.0, 2.0, dtype, 33)
    want_v = theano.uniform((13,), 0.0, 1.0, dtype, 2)
    assert first_u.dtype == dtype
    np.testing.assert_array_equal(first_u, want_u)
    np.testing.assert_array_equal(first_v, want_v)


def test_mrg_substreams_and_seeding_are_theanos():
    srng, theano = MRG_RandomStreams(seed=(1, 2, 3, 4, 5, 6)), TheanoMRG([1, 2, 3, 4, 5, 6])
    for n_streams in (1, 7, 300):
        np.testing.assert_array_equal(srng.get_substream_rstates(n_streams),
                                      theano.substreams(n_streams))
        np.testing.assert_array_equal(srng.rstate, theano.rstate)
    # seed(s) gives every state the value a fresh instance would draw.
    srng = MRG_RandomStreams(seed=3)
    u, z = srng.uniform((12,)), srng.normal((5,))
    f = arignote.function([], [u, z])
    f()
    srng.seed(99)
    fresh = TheanoMRG(99)
    got_u, got_z = f()
    np.testing.assert_array_equal(got_u, fresh.uniform((12,), 0.0, 1.0, "float64", 2))
    np.testing.assert_allclose(got_z, fresh.normal((5,), 0.0, 1.0, "float64"), rtol=1e-14)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("size", [(5, 3), (7,)])
def test_mrg_normal_is_theanos(size, mode):
    """The uniforms are the same bits (15360 streams); log, cos and sin come from the C
    library or numpy, which may differ in the last place."""
    srng, theano = MRG_RandomStreams(seed=42), TheanoMRG(42)
    z = srng.normal(size, avg=1.0, std=2.0, dtype="float64")
    f = arignote.function([], z, mode=mode)
    got = f()
    assert z.rng.get_value().shape == (15360, 6)
    np.testing.assert_allclose(got, theano.normal(size, 1.0, 2.0, "float64"), rtol=1e-14,
                               atol=1e-14)


@pytest.mark.parametrize("mode", MODES)
def test_mrg_truncated_normal_keeps_theanos_layout(mode):
    """Values beyond 2 are redrawn: Theano's result lists the kept values of the first half,
    the redrawn ones, then the same for the second half."""
    srng, theano = MRG_RandomStreams(seed=5), TheanoMRG(5)
    z = srng.normal((400,), dtype="float64", truncate=True)
    got = arignote.function([], z, mode=mode)()
    full = theano.normal((400,), 0.0, 1.0, "float64")
    kept = [v for v in full[:200] if -2 <= v <= 2]
    np.testing.assert_allclose(got[:len(kept)], kept, rtol=1e-14)
    assert np.abs(got).max() <= 2.0
    # truncated_normal divides std by the truncated unit normal's deviation: std comes out.
    wide = arignote.function([], srng.truncated_normal((20000,), std=3.0), mode=mode)()
    assert np.abs(wide).max() <= 2 * 3.0 / 0.87962566103423978 + 1e-9
    assert abs(wide.std() - 3.0) < 0.1


@pytest.mark.parametrize("mode", MODES)
def test_mrg_binomial_is_theanos(mode):
    srng, theano = MRG_RandomStreams(seed=7), TheanoMRG(7)
    b = srng.binomial((30, 40), p=0.3, dtype="int32")
    got = arignote.function([], b, mode=mode)()
    u = theano.uniform((30, 40), 0.0, 1.0, arignote.config.floatX, 200)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, (u < 0.3).astype(np.int32))


@pytest.mark.parametrize("mode", MODES)
def test_mrg_multinomial_is_theanos(mode):
    pvals = np.random.default_rng(0).dirichlet(np.ones(4), size=6)
    srng, theano = MRG_RandomStreams(seed=8), TheanoMRG(8)
    counts = srng.multinomial(pvals=pvals, n=3)
    got = arignote.function([], counts, mode=mode)()
    np.testing.assert_array_equal(got, theano.multinomial(pvals, 3))
    assert (got.sum(axis=1) == 3).all()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mrg_choice_is_theanos(dtype, mode):
    pvals = np.random.default_rng(1).dirichlet(np.ones(6), size=5).astype(dtype)
    srng, theano = MRG_RandomStreams(seed=9), TheanoMRG(9)
    picks = srng.choice(size=3, p=pvals, replace=False)
    got = arignote.function([], picks, mode=mode)()
    np.testing.assert_array_equal(got, theano.choice(pvals, 3))
    assert all(len(set(row)) == 3 for row in got)
