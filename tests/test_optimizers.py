"""Tests for optimizers.py: hand-computed steps, torch.optim trajectories, purity, convergence."""

import math
import re

import numpy as np
import pytest

from optimizers import OPTIMIZERS, defaults

X0 = np.array([[1.0, -2.0]])
G = np.array([[0.5, -4.0]])


def run(optimizer, x, grads):
    """Positions after each step; `grads` has an array or a function of x per step, or is one."""
    state, path = optimizer.init(x), []
    for g in grads if isinstance(grads, list) else [grads] * 5:  # one: use it for 5 steps
        x, state = optimizer.update(x, g(x) if callable(g) else g, state)
        path.append(x)
    return np.array(path)


# Each case: name, hyperparameters, grads fed on steps 1, 2, ..., positions expected after each
# step, written out from the torch.optim docs' equations for x0 = (1, -2).
HAND_COMPUTED = [
    ("sgd", {"lr": 0.1}, [G], [[1 - 0.1 * 0.5, -2 + 0.1 * 4]]),
    ("sgd", {"lr": 0.1, "maximize": True}, [G], [[1 + 0.1 * 0.5, -2 - 0.1 * 4]]),
    # g + weight_decay * x = (0.5 + 0.5 * 1, -4 + 0.5 * -2) = (1, -5)
    ("sgd", {"lr": 0.1, "weight_decay": 0.5}, [G], [[1 - 0.1 * 1, -2 + 0.1 * 5]]),
    # b1 = g, b2 = 0.9 g + g = 1.9 g
    ("momentum", {"lr": 0.1}, [G, G], [[0.95, -1.6], [0.95 - 0.19 * 0.5, -1.6 + 0.19 * 4]]),
    # b1 = g (undamped on the first step), b2 = 0.9 g + (1 - 0.5) g = 1.4 g
    ("sgd", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}, [G, G],
     [[0.95, -1.6], [0.95 - 0.14 * 0.5, -1.6 + 0.14 * 4]]),
    # step 1: g + 0.9 b1 = 1.9 g; step 2: g + 0.9 b2 = g + 0.9 * 1.9 g = 2.71 g
    ("nesterov", {"lr": 0.1}, [G, G],
     [[1 - 0.19 * 0.5, -2 + 0.19 * 4], [1 - 0.19 * 0.5 - 0.271 * 0.5, -2 + 0.19 * 4 + 0.271 * 4]]),
    # s1 = g^2, so the first step is lr * g / (|g| + eps)
    ("adagrad", {"lr": 0.1}, [G], [[1 - 0.1 * 0.5 / (0.5 + 1e-10), -2 + 0.1 * 4 / (4 + 1e-10)]]),
    # s1 = 0.75 + g^2 = (1, 16.75)
    ("adagrad", {"lr": 0.1, "initial_accumulator_value": 0.75, "eps": 0.0}, [G],
     [[1 - 0.1 * 0.5 / 1, -2 + 0.1 * 4 / math.sqrt(16.75)]]),
    # step 2: clr = 0.1 / (1 + 1 * 1), s2 = 2 g^2
    ("adagrad", {"lr": 0.1, "lr_decay": 1.0, "eps": 0.0}, [G, G],
     [[0.9, -1.9], [0.9 - 0.05 / math.sqrt(2), -1.9 + 0.05 / math.sqrt(2)]]),
    # v1 = 0.01 g^2, so the first step is lr * g / (0.1 |g|) = 0.1 sign(g)
    ("rmsprop", {"lr": 0.01, "eps": 0.0}, [G], [[0.9, -1.9]]),
    ("rmsprop", {"lr": 0.01}, [G],
     [[1 - 0.01 * 0.5 / (0.05 + 1e-8), -2 + 0.01 * 4 / (0.4 + 1e-8)]]),
    # centered: v1 - mean1^2 = 0.01 g^2 - (0.01 g)^2 = 0.0099 g^2
    ("rmsprop", {"lr": 0.01, "eps": 0.0, "centered": True}, [G],
     [[1 - 0.01 / math.sqrt(0.0099), -2 + 0.01 / math.sqrt(0.0099)]]),
    # b1 = g / (0.1 |g|) = 10 sign(g); v2 = 0.99 * 0.01 g^2 + 0.01 g^2 = 0.0199 g^2,
    # b2 = 0.9 * 10 sign(g) + sign(g) / sqrt(0.0199)
    ("rmsprop", {"lr": 0.01, "eps": 0.0, "momentum": 0.9}, [G, G],
     [[0.9, -1.9], [0.9 - 0.01 * (9 + 1 / math.sqrt(0.0199)),
                    -1.9 + 0.01 * (9 + 1 / math.sqrt(0.0199))]]),
    # bias correction makes m^ = g and v^ = g^2 for a constant g: steps of lr |g| / (|g| + eps)
    ("adam", {"lr": 0.1}, [G, G], [[1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8)],
                                   [1 - 0.2 * 0.5 / (0.5 + 1e-8), -2 + 0.2 * 4 / (4 + 1e-8)]]),
    # g1 = 4, g2 = 1 with betas (0, 0.5): m = g; v1 = 8, v^1 = 16: a step of 4 / 4 = 1;
    # v2 = 0.5 * 8 + 0.5 * 1 = 4.5 and bias correction 1 - 0.25 = 0.75
    ("adam", {"lr": 1.0, "betas": (0.0, 0.5), "eps": 0.0},
     [np.array([[4.0, 4.0]]), np.array([[1.0, 1.0]])],
     [[0.0, -3.0], [-math.sqrt(0.75 / 4.5), -3 - math.sqrt(0.75 / 4.5)]]),
    # amsgrad keeps max(v1, v2) = 8 in the denominator
    ("adam", {"lr": 1.0, "betas": (0.0, 0.5), "eps": 0.0, "amsgrad": True},
     [np.array([[4.0, 4.0]]), np.array([[1.0, 1.0]])],
     [[0.0, -3.0], [-math.sqrt(0.75 / 8), -3 - math.sqrt(0.75 / 8)]]),
]


@pytest.mark.parametrize(("name", "hyperparameters", "grads", "expected"), HAND_COMPUTED)
def test_hand_computed_steps(name, hyperparameters, grads, expected):
    path = run(OPTIMIZERS[name](**hyperparameters), X0, grads)
    np.testing.assert_allclose(path[:, 0], expected, rtol=1e-15, atol=1e-15)


# torch.optim 2.13.0 in float64 (SGD, Adagrad, RMSprop, Adam with foreach=False), 3 balls from
# TORCH_STARTS, 5 steps on the gradient of f = (x/4)^2 + (y/2)^2 + 0.1 x y; the positions after
# each step, ball by ball, x then y. Made by this script (torch is not a dependency):
#
#   torch.set_default_dtype(torch.float64)
#   aliases = {"momentum": ("sgd", {"momentum": 0.9}),
#              "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True})}
#   classes = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
#              "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam}
#   for name, hyperparameters, _ in TORCH_TRAJECTORIES:
#       base, extra = aliases.get(name, (name, {}))
#       p = torch.tensor(TORCH_STARTS, requires_grad=True)
#       opt = classes[base]([p], **extra, **hyperparameters, foreach=False)
#       path = []
#       for _ in range(5):
#           x, y = p.detach()[:, 0], p.detach()[:, 1]
#           p.grad = torch.stack([x / 8 + 0.1 * y, y / 2 + 0.1 * x], dim=-1)
#           opt.step()
#           path += p.detach().flatten().tolist()
#       print(" ".join(map(repr, path)))
#
# Torch fuses multiply-adds (fma) and numpy does not, so the last bits differ: a few ulps,
# at most ~1e-14 relative after 5 steps.
TORCH_STARTS = [[1.5, -2.0], [-3.0, 0.5], [0.25, 1.75]]
TORCH_TRAJECTORIES = [
    ("sgd", {"lr": 0.1}, """
        1.50125 -1.915 -2.9675 0.505 0.229375 1.66 1.501634375 -1.8342625000000001
        -2.9354562499999997 0.509425 0.20990781249999999 1.57470625 1.5012065703125002
        -1.7575657187500002 -2.9038572968749996 0.5133083125 0.19153690234374998
        1.493871859375 1.500017145371094 -1.6846994985156252 -2.872692163789062
        0.51668146984375 0.1742039724707031 1.4172628973828125 1.4981139260391116
        -1.615464695043555 -2.8419503264401365 0.5195743179894531 0.15785379384099119
        1.344657712788965
    """),
    ("sgd", {"lr": 0.1, "momentum": 0.9}, """
        1.50125 -1.915 -2.9675 0.505 0.229375 1.66 1.502759375 -1.7577625000000001
        -2.90620625 0.513925 0.1913453125 1.49370625 1.5029109453124998 -1.54338821875
        -2.8198535468749997 0.5253233125 0.13978971484375 1.267443109375
        1.4996948539648436 -1.288311064140625 -2.7121411778515623 0.5375141635937499
        0.07896787442382812 0.9990362301953125 1.4909372967187986 -1.0093230203248047
        -2.5866734226432615 0.5487316331769531 0.013250757313647459 0.7067285486795898
    """),
    ("sgd", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3}, """
        1.50125 -1.915 -2.9675 0.505 0.229375 1.66 1.5025190625 -1.79048375 -2.919069375
        0.5120975 0.19924796875 1.528294375 1.502920656953125 -1.6387214521875
        -2.85836770046875 0.520285573125 0.1627048633984375 1.36804483609375
        1.5015624269325978 -1.4704768077096093 -2.7884376424765236 0.5286346104689063
        0.12247039770979493 1.1908247016616798 1.497630509334483 -1.2949253408459886
        -2.711795208984355 0.5363306924749552 0.0808754362672884 1.006512436773896
    """),
    ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, """
        1.502375 -1.8385 -2.93825 0.5095000000000001 0.21081249999999999 1.579
        1.50263759375 -1.623537625 -2.8518220625 0.5209742500000001 0.15909845312499998
        1.3520895625 1.4983887188984375 -1.37359665240625 -2.744674468015625
        0.5324763904375001 0.09967016161328122 1.089351102203125 1.4873691701585996
        -1.1061629355336016 -2.620566895735754 0.5421693173194845 0.03707852563271579
        0.8097803165466132 1.4676381574925683 -0.8369734765937346 -2.4830181341904547
        0.5484370047444456 -0.024594938509978227 0.5304508184504628
    """),
    ("sgd", {"lr": 0.1, "weight_decay": 0.5}, """
        1.42625 -1.815 -2.8175 0.48 0.21687499999999998 1.5725 1.355259375 -1.6477625
        -2.64620625 0.460175 0.1875953125 1.41308125 1.2870332890625 -1.49653884375
        -2.485420109375 0.4406195625 0.16173979296875 1.269897171875 1.2215590969335939
        -1.359755292265625 -2.334487548164063 0.42141180734375 0.1389320841894531
        1.1412900567578126 1.1588092062979005 -1.2359953540083986 -2.1927961944772463
        0.40261550209101565 0.11883592836003416 1.0257717302401368
    """),
    ("sgd", {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.2, "maximize": True}, """
        1.46875 -2.045 -2.9725 0.485 0.265625 1.805 1.421659375 -2.1141625 -2.93160625
        0.462325 0.2894953125 1.88930625 1.3663099921875 -2.19795203125 -2.884549078125
        0.4355411875 0.31815231640624997 1.9910335156249999 1.3064084555273436
        -2.292122257890625 -2.8350309622265626 0.40637002609375 0.3500050111425781
        2.104809677070312 1.2437384012019042 -2.3949069543923827 -2.7849454717997073
        0.37562523655117186 0.3843544176978759 2.2283420982165034
    """),
    ("momentum", {"lr": 0.1}, """
        1.50125 -1.915 -2.9675 0.505 0.229375 1.66 1.502759375 -1.7577625000000001
        -2.90620625 0.513925 0.1913453125 1.49370625 1.5029109453124998 -1.54338821875
        -2.8198535468749997 0.5253233125 0.13978971484375 1.267443109375
        1.4996948539648436 -1.288311064140625 -2.7121411778515623 0.5375141635937499
        0.07896787442382812 0.9990362301953125 1.4909372967187986 -1.0093230203248047
        -2.5866734226432615 0.5487316331769531 0.013250757313647459 0.7067285486795898
    """),
    ("nesterov", {"lr": 0.1}, """
        1.502375 -1.8385 -2.93825 0.5095000000000001 0.21081249999999999 1.579
        1.50263759375 -1.623537625 -2.8518220625 0.5209742500000001 0.15909845312499998
        1.3520895625 1.4983887188984375 -1.37359665240625 -2.744674468015625
        0.5324763904375001 0.09967016161328122 1.089351102203125 1.4873691701585996
        -1.1061629355336016 -2.620566895735754 0.5421693173194845 0.03707852563271579
        0.8097803165466132 1.4676381574925683 -0.8369734765937346 -2.4830181341904547
        0.5484370047444456 -0.024594938509978227 0.5304508184504628
    """),
    ("adagrad", {"lr": 0.1}, """
        1.5999999992 -1.9000000000117647 -2.900000000030769 0.5999999998
        0.15000000004848485 1.650000000011111 1.5375304952201945 -1.8319218436197846
        -2.831868548592604 0.5803883865190186 0.08347939585626887 1.5817681749802006
        1.4885261559393177 -1.7770222180411384 -2.776405237553673 0.566773824167064
        0.03137840882635734 1.527316336507382 1.4470789177566972 -1.7300031657031387
        -2.7286055438867334 0.555678102269157 -0.012191490287792997 1.481012330588508
        1.4106850083779554 -1.6883717157282148 -2.6860703347946173 0.5461092162194703
        -0.04994227144736728 1.4402472607671266
    """),
    ("adagrad", {"lr": 0.1, "lr_decay": 0.3}, """
        1.5999999992 -1.9000000000117647 -2.900000000030769 0.5999999998
        0.15000000004848485 1.650000000011111 1.5519465346001495 -1.8476321874025494
        -2.8475911912321803 0.5849141434300142 0.09883030451601102 1.5975139807565646
        1.5207270206239025 -1.8131189874803968 -2.8128042264812008 0.5755842867398181
        0.06577979325016957 1.5632012286030492 1.4981412562903187 -1.7880375172887533
        -2.787432976835024 0.5689906238545388 0.04203311505872666 1.5383691784325761
        1.480763954732243 -1.7687011164074637 -2.7678322239840156 0.5639909839935348
        0.023858204931715633 1.5192729181370221
    """),
    ("adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5, "eps": 0.001}, """
        1.501764995113994 -1.9231928094445412 -2.9582915778990855 0.5070435199267849
        0.22203664762429048 1.671435277217512 1.5024143099144043 -1.8640712348122939
        -2.9204000526740588 0.5129928085038765 0.19649036077035045 1.611499236466063
        1.5022173882646792 -1.8145793150785698 -2.8854887058986733 0.5179847282266984
        0.17283973906801814 1.5615494707247017 1.5013251698946308 -1.7713624297118529
        -2.852986627651247 0.5221322138660163 0.15076109776547628 1.518062755542101
        1.4998386802926602 -1.7326498077883108 -2.8224837847892617 0.525530654777844
        0.13002656898554035 1.4791988559922782
    """),
    ("adagrad", {"lr": 0.1, "weight_decay": 0.3, "maximize": True}, """
        1.4000000000216217 -2.09999999996 -2.9000000000173913 0.40000000005
        0.34999999992380953 1.8499999999733334 1.3298696813920787 -2.1745937661015184
        -2.8310423457088927 0.3275862069728769 0.4186012867578107 1.9233760673607732
        1.2728611620336419 -2.2372704582511793 -2.775653613621338 0.26757085151025767
        0.47369351494364603 1.984523302527925 1.223644141711745 -2.2926225673889187
        -2.7283141393358497 0.2150008631293412 0.5208398107708303 2.0382431768198463
        1.1797312087320724 -2.3428699869546135 -2.686457139984162 0.16753628246431318
        0.5626092490092295 2.0868298512237144
    """),
    ("rmsprop", {"lr": 0.01}, """
        1.5999992000063998 -1.9000000117647045 -2.9000000307692213 0.5999998000004
        0.15000004848482504 1.65000001111111 1.5373391416968092 -1.831738487023082
        -2.8316853273352476 0.5802934485122557 0.08329326161534581 1.5815851273929675
        1.4880567558104885 -1.77654651810177 -2.7759275522146947 0.5666026993349006
        0.030904602063540017 1.5268433175320915 1.4462662996598465 -1.729154251843988
        -2.7277504042078053 0.555417033382815 -0.013022505222160904 1.4801711164366607
        1.4094768221574798 -1.6870839477824822 -2.6847695488317203 0.5457469992902213
        -0.05118220378286482 1.4389752492726149
    """),
    ("rmsprop", {"lr": 0.01, "centered": True}, """
        1.6005029734516103 -1.8994962303576188 -2.8994962495541 0.6005035795061252
        0.1494962674486494 1.649496229697422 1.5374081151718528 -1.8305602335586069
        -2.830506201187399 0.5801650859274913 0.0821410478207832 1.5804043598975923
        1.4877357343721307 -1.7745552648765492 -2.7739138242653385 0.5663602347134908
        0.029011732405601613 1.5248609225007421 1.4454051738713891 -1.7262388257623407
        -2.7247800931597213 0.5550199172975016 -0.015719368122419648 1.477287832201085
        1.4079455846906912 -1.6831492852984522 -2.6807360514072 0.5451652554479122
        -0.05472663779154109 1.4351082513149707
    """),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9}, """
        1.5999992000063998 -1.9000000117647045 -2.9000000307692213 0.5999998000004
        0.150000048484825 1.65000001111111 1.627338421702569 -1.7417384976113162
        -2.7416853550275464 0.6702932685126157 -0.0067066947483117026 1.4915851373929665
        1.5640635014568625 -1.5469195695374842 -2.5461585007368135 0.6565338440515801
        -0.1953365876648873 1.2969400962968478 1.4294551241959161 -1.329885146643513
        -2.326291081413275 0.5758535601415408 -0.3972530618070374 1.0813526705380092
        1.2425086799406486 -1.1011401503857245 -2.090694118505719 0.45743101859084295
        -0.5966438269185622 0.856547566505364
    """),
    ("rmsprop", {"lr": 0.01, "alpha": 0.3, "eps": 0.0001, "momentum": 0.5, "centered": True}, """
        1.5214473729848899 -1.9781838117794202 -2.97819285315971 0.5217269647753092
        0.22820127459757483 1.7281835006991226 1.5554657403028915 -1.9324809591222563
        -2.932515219124899 0.5617311199395857 0.18263438699579285 1.6824721036632375
        1.5699223339020842 -1.8489006472613951 -2.848982322970743 0.5912081616049539
        0.10015757047070586 1.5988610031942094 1.5597393859386721 -1.703942843143252
        -2.702243637463054 0.5991242491639229 -0.03103625561633809 1.4548384837075916
        1.526361643579914 -1.5048028698691902 -2.4780522397528086 0.584039230492807
        -0.1690916955311681 1.2655008324499915
    """),
    ("rmsprop", {"lr": 0.01, "weight_decay": 0.1, "maximize": True}, """
        1.4000000615384238 -2.099999984615387 -3.0999996000016 0.40000009999990005
        0.3499999448276166 1.8499999862068983 1.3265505056877658 -2.1734495635867837
        -3.1833327345699005 0.31666682654306744 0.42319806702561746 1.9231981291454154
        1.2651984410926795 -2.2348016435094804 -3.256398414649076 0.24360106290314687
        0.4842278347560938 1.9842279106436507 1.21115668259608 -2.2888434134232387
        -3.322219311272974 0.177780109323877 0.5379196132609259 2.037919699418379
        1.1621461502097092 -2.337853954880482 -3.382572284935897 0.11742709381094243
        0.5865686605065499 2.0865687548349103
    """),
    ("adam", {"lr": 0.1}, """
        1.599999920000064 -1.9000000011764706 -2.900000003076923 0.599999980000004
        0.1500000048484846 1.6500000011111111 1.605812468938264 -1.8002574624576624
        -2.800251039659283 0.651102590619657 0.05046629230108188 1.550239063867949
        1.5580099476344977 -1.7009010845105657 -2.700852084113849 0.6379875494396071
        -0.04819499156968948 1.4509027063184314 1.4896511439241955 -1.6020522307996867
        -2.601807857087694 0.5954151652172804 -0.1454885793661594 1.352197908832802
        1.4108626570618132 -1.503843563593473 -2.5031125150990574 0.5403035817889544
        -0.24081499284902003 1.2543543534801374
    """),
    ("adam", {"lr": 0.1, "betas": (0.5, 0.6), "eps": 0.1}, """
        1.511111111111111 -1.9105263157894736 -2.9235294117647057 0.5333333333333333
        0.18265306122448977 1.66 1.5163123183014877 -1.821616291028208
        -2.847653558689083 0.558044992269018 0.11679592498283949 1.5705903037557547
        1.5146286927636574 -1.7334525477924014 -2.772475609875843 0.5721386826598452
        0.05282802573400701 1.481977224018399 1.5062771590871813 -1.6461725563883418
        -2.698039949867617 0.5751245390930624 -0.008880673170775795 1.394327211636924
        1.4920933681777384 -1.5598692314864033 -2.624337434877598 0.5688848017899418
        -0.06799203963443577 1.30776565875357
    """),
    ("adam", {"lr": 0.5, "betas": (0.9, 0.5), "amsgrad": True}, """
        1.99999960000032 -1.5000000058823528 -2.500000015384615 0.9999999000000199
        -0.24999997575757693 1.2500000055555556 1.7150681148448705 -1.0013809547164074
        -1.9991934151030075 0.7383167512120203 -0.6865716918897697 0.7450613355165825
        1.3628119131684304 -0.5670218455157527 -1.525641114507613 0.396366728475984
        -0.970728471202468 0.3185102826057444 0.9754321758374391 -0.2136706146787487
        -1.085461684227393 0.10936723165231382 -1.092949669596914 -0.008380246349720455
        0.5624826725957166 0.05966675445346503 -0.6820388399255123 -0.07487881250999434
        -1.073586429659111 -0.23809996223561386
    """),
    ("adam", {"lr": 0.1, "weight_decay": 0.2, "maximize": True}, """
        1.4000000032 -2.0999999977777777 -2.9000000036363636 0.40000000666666624
        0.34999999360000045 1.8499999981818183 1.2999800307656184 -2.2001312137412126
        -2.8002252010386517 0.29986956670169074 0.4500382106226666 1.9501212992197183
        1.1999269008800544 -2.300475509798922 -2.700849975144347 0.19951464291474008
        0.5501394624863329 2.0504385964202134 1.0998274852864287 -2.401109532725615
        -2.6020695751348057 0.09884378884704688 0.650328114791734 2.151021697708768
        0.9996686772902295 -2.502104385334377 -2.504102495668106 -0.0022290996599218654
        0.7506281222969508 2.2519354932583053
    """),
]


def tilted_bowl_grad(p):
    x, y = p[..., 0], p[..., 1]
    return np.stack([x / 8 + 0.1 * y, y / 2 + 0.1 * x], axis=-1)


@pytest.mark.parametrize(("name", "hyperparameters", "positions"), TORCH_TRAJECTORIES)
def test_matches_torch(name, hyperparameters, positions):
    expected = np.array(positions.split(), dtype=float).reshape(5, 3, 2)
    path = run(OPTIMIZERS[name](**hyperparameters), np.array(TORCH_STARTS), tilted_bowl_grad)
    np.testing.assert_allclose(path, expected, rtol=1e-14, atol=1e-15)


def test_torch_cases_cover_every_optimizer_and_option():
    covered = {(name, key) for name, hyperparameters, _ in TORCH_TRAJECTORIES
               for key in hyperparameters}
    for name in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"):
        assert (name, "lr") in covered
    for name in ("sgd", "adagrad", "rmsprop", "adam"):
        assert {(name, key) for key in defaults(name)} <= covered, name


@pytest.mark.parametrize(("name", "hyperparameters", "positions"), TORCH_TRAJECTORIES)
def test_a_batch_steps_like_single_balls(name, hyperparameters, positions):
    optimizer = OPTIMIZERS[name](**hyperparameters)
    starts = np.array(TORCH_STARTS)
    batch = run(optimizer, starts, tilted_bowl_grad)
    for i in range(len(starts)):
        single = run(optimizer, starts[i:i + 1], tilted_bowl_grad)
        np.testing.assert_array_equal(batch[:, i:i + 1], single)
    flat_start, flat_grad = np.array([1.5, -2.0, -3.0]), np.array([0.25, -1.0, 3.0])
    flat = run(optimizer, flat_start, flat_grad)  # any shape steps elementwise
    column = run(optimizer, flat_start[:, None], flat_grad[:, None])
    np.testing.assert_array_equal(flat, column[..., 0])


ALL_OPTIONS = {  # every state buffer in use
    "sgd": {"momentum": 0.5, "dampening": 0.1, "weight_decay": 0.1, "maximize": True},
    "adagrad": {"lr_decay": 0.1, "initial_accumulator_value": 0.1, "weight_decay": 0.1},
    "rmsprop": {"momentum": 0.5, "centered": True, "weight_decay": 0.1},
    "adam": {"amsgrad": True, "weight_decay": 0.1},
}


def read_only(*arrays):
    for array in arrays:
        array.setflags(write=False)


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("options", [False, True], ids=["defaults", "all_options"])
def test_update_is_pure(name, options):
    optimizer = OPTIMIZERS[name](**(ALL_OPTIONS.get(name, {}) if options else {}))
    x = np.array([[1.5, -2.0], [-3.0, 0.5]])
    state = optimizer.init(x)
    assert state.step == 0
    for step in range(1, 4):
        grad = tilted_bowl_grad(x)
        arrays = [x, grad] + [a for a in state if isinstance(a, np.ndarray)]
        copies = [a.copy() for a in arrays]
        read_only(*arrays)  # an in-place write now raises
        x_new, new_state = optimizer.update(x, grad, state)
        for array, copy in zip(arrays, copies, strict=True):
            np.testing.assert_array_equal(array, copy)
        assert new_state.step == step and state.step == step - 1
        assert type(new_state) is type(state)
        assert not np.array_equal(x_new, x)
        x, state = x_new, new_state


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_maximize_and_weight_decay_change_only_the_gradient(name):
    x, grad = np.array([[1.5, -2.0], [-3.0, 0.5]]), np.array([[0.3, 1.2], [-0.7, 0.1]])
    plain, maximize = OPTIMIZERS[name](lr=0.1), OPTIMIZERS[name](lr=0.1, maximize=True)
    decayed = OPTIMIZERS[name](lr=0.1, weight_decay=0.25)
    np.testing.assert_array_equal(run(maximize, x, [grad] * 3), run(plain, x, [-grad] * 3))
    np.testing.assert_array_equal(
        run(decayed, x, [lambda p: grad] * 3), run(plain, x, [lambda p: grad + 0.25 * p] * 3))


# Adagrad, RMSprop and Adam need more than their default lr to get there in a few hundred steps.
CONVERGENCE_LR = {"sgd": 1.0, "momentum": 0.5, "nesterov": 0.5, "adagrad": 1.0, "rmsprop": 0.02,
                  "adam": 0.1}


@pytest.mark.parametrize("name", CONVERGENCE_LR)
def test_converges_on_the_bowl(name):
    """f = (x/4)^2 + (y/2)^2 has its minimum at 0; RMSprop hovers within ~lr of it."""
    starts = np.array([[3.5, 2.0], [-3.0, -1.5], [0.5, 2.5], [-2.0, 0.1]])
    path = run(OPTIMIZERS[name](lr=CONVERGENCE_LR[name]), starts,
               [lambda p: p * np.array([1 / 8, 1 / 2])] * 300)
    assert np.all(np.isfinite(path))
    assert np.abs(path[-1]).max() < 0.02


# torch.optim's documented defaults, lr first.
TORCH_DEFAULTS = {
    "sgd": {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
            "maximize": False},
    "momentum": {"lr": 1e-3, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                 "nesterov": False, "maximize": False},
    "nesterov": {"lr": 1e-3, "momentum": 0.9, "dampening": 0, "weight_decay": 0,
                 "nesterov": True, "maximize": False},
    "adagrad": {"lr": 1e-2, "lr_decay": 0, "weight_decay": 0, "initial_accumulator_value": 0,
                "eps": 1e-10, "maximize": False},
    "rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0,
                "centered": False, "maximize": False},
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
             "amsgrad": False, "maximize": False},
}


@pytest.mark.parametrize("name", TORCH_DEFAULTS)
def test_hyperparameters_report_every_value(name):
    optimizer = OPTIMIZERS[name]()
    assert optimizer.name == name
    assert optimizer.hyperparameters == defaults(name) == TORCH_DEFAULTS[name]
    assert list(optimizer.hyperparameters) == list(TORCH_DEFAULTS[name])  # lr first
    changed = OPTIMIZERS[name](lr=0.5, weight_decay=0.25)
    differ = {k for k, v in changed.hyperparameters.items() if v != defaults(name)[k]}
    assert differ == {"lr", "weight_decay"}
    x = np.array([[1.0, 2.0]])
    before = run(changed, x, [G])
    changed.hyperparameters["lr"] = 7.0  # a report: editing it changes neither update nor defaults
    defaults(name)["lr"] = 7.0
    np.testing.assert_array_equal(run(changed, x, [G]), before)
    assert OPTIMIZERS[name]().hyperparameters["lr"] == TORCH_DEFAULTS[name]["lr"]


@pytest.mark.parametrize(("name", "hyperparameters", "named"), [
    ("sgd", {"lr": -1}, "lr"),
    ("adam", {"lr": 0}, "lr"),
    ("rmsprop", {"lr": math.nan}, "lr"),
    ("adagrad", {"lr": math.inf}, "lr"),
    ("sgd", {"lr": "0.1"}, "lr"),
    ("sgd", {"momentum": -0.5}, "momentum"),
    ("momentum", {"momentum": -0.5}, "momentum"),
    ("rmsprop", {"momentum": -0.5}, "momentum"),
    ("sgd", {"momentum": True}, "momentum"),
    ("sgd", {"dampening": math.nan}, "dampening"),
    ("sgd", {"weight_decay": -0.1}, "weight_decay"),
    ("adagrad", {"weight_decay": -0.1}, "weight_decay"),
    ("rmsprop", {"weight_decay": -0.1}, "weight_decay"),
    ("adam", {"weight_decay": -0.1}, "weight_decay"),
    ("adagrad", {"eps": -1e-10}, "eps"),
    ("rmsprop", {"eps": -1e-8}, "eps"),
    ("adam", {"eps": -1e-8}, "eps"),
    ("adam", {"betas": (1.0, 0.999)}, "betas[0]"),
    ("adam", {"betas": (-0.1, 0.999)}, "betas[0]"),
    ("adam", {"betas": (0.9, 1.0)}, "betas[1]"),
    ("adam", {"betas": (0.9,)}, "betas"),
    ("adam", {"betas": 0.9}, "betas"),
    ("rmsprop", {"alpha": -0.99}, "alpha"),
    ("adagrad", {"lr_decay": -0.1}, "lr_decay"),
    ("adagrad", {"initial_accumulator_value": -1}, "initial_accumulator_value"),
    ("sgd", {"nesterov": True}, "nesterov"),
    ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "nesterov"),
    ("nesterov", {"momentum": 0}, "nesterov"),
    ("sgd", {"nesterov": 1, "momentum": 0.9}, "nesterov"),
    ("sgd", {"maximize": 0}, "maximize"),
    ("rmsprop", {"centered": "yes"}, "centered"),
    ("adam", {"amsgrad": None}, "amsgrad"),
    ("sgd", {"beta": 0.9}, "beta"),
    ("adam", {"momentum": 0.9}, "momentum"),
    ("adagrad", {"learning_rate": 0.1}, "learning_rate"),
])
def test_invalid_hyperparameters_name_the_parameter(name, hyperparameters, named):
    with pytest.raises(ValueError, match=rf"\b{re.escape(named)}(?!\w)"):
        OPTIMIZERS[name](**hyperparameters)


def test_unknown_keyword_lists_the_allowed_ones():
    allowed = "allowed: lr, alpha, eps, weight_decay, momentum, centered, maximize"
    with pytest.raises(ValueError, match=f"'betas'.*{allowed}"):
        OPTIMIZERS["rmsprop"](betas=(0.9, 0.99))


def test_numbers_are_normalised():
    optimizer = OPTIMIZERS["adam"](lr=1, betas=[np.float32(0.5), 0], amsgrad=np.True_)
    assert optimizer.hyperparameters["lr"] == 1.0 and type(optimizer.hyperparameters["lr"]) is float
    assert optimizer.hyperparameters["betas"] == (0.5, 0.0)
    assert optimizer.hyperparameters["amsgrad"] is True


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_learning_rate_scales_the_step_last_and_may_change_each_step(name):
    """x <- x - lr_t * direction: from the same state, a step's rate scales only that step."""
    optimizer = OPTIMIZERS[name](**ALL_OPTIONS.get(name, {}))
    x, state = np.array([[1.5, -2.0], [-3.0, 0.5]]), None
    state = optimizer.init(x)
    for rate in (0.01, 0.2, 0.05):
        small, _ = optimizer.update(x, tilted_bowl_grad(x), state, lr=rate)
        large, _ = optimizer.update(x, tilted_bowl_grad(x), state, lr=3 * rate)
        np.testing.assert_allclose(large - x, 3 * (small - x), rtol=1e-12, atol=1e-14)
        x, state = small, optimizer.update(x, tilted_bowl_grad(x), state, lr=rate)[1]
    given = optimizer.hyperparameters["lr"]
    np.testing.assert_array_equal(optimizer.update(x, G, state)[0],
                                  optimizer.update(x, G, state, lr=given)[0])


@pytest.mark.parametrize(("name", "options", "plain", "momentum"), [
    ("sgd", {}, True, False), ("sgd", {"weight_decay": 0.1}, False, False),
    ("sgd", {"maximize": True}, False, False), ("momentum", {}, False, True),
    ("momentum", {"momentum": 0.0}, True, False), ("nesterov", {}, False, True),
    ("adagrad", {}, False, False), ("rmsprop", {}, False, False),
    ("rmsprop", {"momentum": 0.5}, False, True), ("adam", {}, False, True)])
def test_an_optimizer_declares_what_it_is(name, options, plain, momentum):
    optimizer = OPTIMIZERS[name](**options)
    assert (optimizer.plain, optimizer.momentum) == (plain, momentum)
    # plain: every step is -lr * grad exactly (momentum's first step is too)
    x = np.array([[1.5, -2.0]])
    expected = x - np.arange(1, 4)[:, None, None] * optimizer.hyperparameters["lr"] * G
    assert np.allclose(run(optimizer, x, [G] * 3), expected, rtol=1e-14) == plain


@pytest.mark.parametrize(("name", "options", "rate"), [
    ("sgd", {}, 1.0),                       # half of 2 / L, L = 1
    ("momentum", {}, 1.9),                  # half of 2 (1 + 0.9) / L
    ("nesterov", {}, 1.9 / 2.8),            # half of 2 (1 + 0.9) / ((1 + 1.8) L)
    ("momentum", {"dampening": 0.5}, 3.8),  # over (1 - d)
    ("adam", {}, 0.2),                      # a 50th of the side, 10
    ("adagrad", {}, 1.0),                   # a 10th
    ("rmsprop", {"alpha": 0.75}, 0.1),      # a 50th times sqrt(1 - alpha)
])
def test_each_optimizer_has_its_own_auto_rate(name, options, rate):
    assert OPTIMIZERS[name](**options).auto_rate(1.0, 10.0)[0] == pytest.approx(rate)
    flat, why = OPTIMIZERS[name](**options).auto_rate(0.0, 10.0)
    assert flat > 0 and why
