# Type stub of the fisherflow package (the Python half in __init__.py, the Rust half in
# fisherflow._native). Arrays are float64 unless noted.
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

__version__: str

FloatArray = npt.NDArray[np.float64]
Pair = Tuple[float, float]

class Model:
    """A two-component Gaussian mixture pi N(mu1, sigma1^2) + (1 - pi) N(mu2, sigma2^2)."""
    def __init__(
        self, *, pi: float = 0.5, mu1: float = 0.0, mu2: float = 0.0, sigma1: float = 1.0, sigma2: float = 1.0
    ) -> None: ...
    @property
    def pi(self) -> float: ...
    @property
    def mu1(self) -> float: ...
    @property
    def mu2(self) -> float: ...
    @property
    def sigma1(self) -> float: ...
    @property
    def sigma2(self) -> float: ...
    def to_dict(self) -> Dict[str, float]: ...

class System:
    """The policy plane's system: plant "cart" or "pendulum" and MATH.md's keys."""
    def __init__(
        self,
        plant: str = "cart",
        *,
        dt: float = ...,
        friction: float = ...,
        omega2: float = ...,
        q_pos: float = ...,
        q_vel: float = ...,
        r: float = ...,
        x0_pos: float = ...,
        x0_vel: float = ...,
        exploration: float = ...,
    ) -> None: ...
    @property
    def plant(self) -> str: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def optimum(self) -> Tuple[Tuple[float, float], float]: ...
    def __hash__(self) -> int: ...

Family = Union[Model, System]

class _Record:
    def to_dict(self) -> Dict[str, Any]: ...

class FimResult(_Record):
    # The mixture. kl, grad, natgrad, angle_deg and empirical_fisher are present with a target
    # only; mc_fisher with samples=, empirical_fisher_samples with samples= and a target.
    fisher: FloatArray
    eigenvalues: FloatArray
    kappa: FloatArray
    kl: FloatArray
    grad: FloatArray
    natgrad: FloatArray
    angle_deg: FloatArray
    empirical_fisher: FloatArray
    mc_fisher: FloatArray
    empirical_fisher_samples: FloatArray
    # The policy plane
    stable: npt.NDArray[np.bool_]
    spectral_radius: FloatArray
    cost: FloatArray
    control_energy: FloatArray
    gauss_newton: FloatArray

class FieldResult(FimResult):
    a: FloatArray
    b: FloatArray

class Geodesic(_Record):
    # Both forms: the inputs echoed (start; model and slice, or system) and the path.
    start: FloatArray
    path: FloatArray
    # The shortest path (end given):
    to: FloatArray
    distance: float
    method: str
    error_estimate: float
    # The exponential map (direction and length given):
    direction: FloatArray
    requested_length: float
    end: FloatArray
    length: float
    stopped: Optional[str]

class Run(_Record):
    optimizer: str
    lr: float
    step: npt.NDArray[np.int64]
    theta: FloatArray
    loss: FloatArray
    fisher_rao_length: FloatArray
    euclidean_length: FloatArray
    stop: Dict[str, Any]

class KfacLayer(_Record):
    # exact, A and G are absent with matrices=False.
    layer: int
    d_in: int
    d_out: int
    exact: FloatArray
    A: FloatArray
    G: FloatArray
    rel_frobenius_error: float
    natgrad_cosine: float

class KfacResult(_Record):
    weights: Dict[str, FloatArray]
    layers: List[KfacLayer]
    loss: float
    losses: FloatArray
    damping: float
    device: str
    factored_damping: str
    expectation: str

def fim(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    points: npt.ArrayLike = None,
    target: Optional[Model] = None,
    metric: str = "induced",
    damping: float = 0.0,
    device: str = "cpu",
    precision: Optional[str] = None,
    nodes: int = 64,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
) -> FimResult: ...
def field(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    extent: Tuple[float, float, float, float] = (-3.0, 3.0, -3.0, 3.0),
    shape: Tuple[int, int] = (256, 256),
    target: Optional[Model] = None,
    metric: str = "induced",
    damping: float = 0.0,
    device: str = "cpu",
    precision: Optional[str] = None,
    nodes: int = 64,
) -> FieldResult: ...
def geodesic(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    start: Optional[Pair] = None,
    end: Optional[Pair] = None,
    direction: Optional[Pair] = None,
    length: Optional[float] = None,
    nodes: int = 64,
) -> Geodesic: ...
def optimize(
    model: Family,
    slice: Optional[Sequence[str]] = None,
    start: Optional[Pair] = None,
    target: Union[Model, Pair, None] = None,
    optimizers: Optional[Sequence[str]] = None,
    lr: Union[float, Mapping[str, float]] = 0.1,
    steps: int = 100,
    damping: Optional[float] = None,
    momentum: Optional[float] = None,
    beta1: Optional[float] = None,
    beta2: Optional[float] = None,
    eps: Optional[float] = None,
    samples: Optional[int] = None,
    horizon: Optional[int] = None,
    seed: Optional[int] = None,
    nodes: int = 64,
) -> Dict[str, Run]: ...
def kfac(
    hidden: int = 16,
    seed: int = 1,
    target: Optional[Model] = None,
    train_steps: int = 0,
    optimizer: str = "sgd",
    lr: float = 0.1,
    damping: float = 1e-3,
    device: str = "cpu",
    samples: Optional[int] = None,
    nodes: int = 256,
    matrices: bool = True,
) -> KfacResult: ...
def render(
    scene: Union[str, Mapping[str, Any]], width: int = 800, height: int = 450, overlay: bool = True
) -> npt.NDArray[np.uint8]: ...
def gpu_adapter() -> str: ...
