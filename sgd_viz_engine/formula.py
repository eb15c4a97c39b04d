"""A loss surface typed as a formula in x and y, with its exact gradient.

    surface_from_formula("sin(x)*cos(y) + 0.1*(x^2 + y^2)", bounds=((-5, 5), (-5, 5)))

A formula may use numbers (2, 0.5, 1e-3), the names x, y, pi and e, the operators + - * / and **
(``^`` means ** too, as in the formulas of surfaces.py), unary + and -, parentheses, and the
one-argument functions in FUNCTIONS. The text is parsed with ``ast.parse`` and its tree is walked
against that whitelist: it is never compiled or run, so ``__import__('os')`` is only a refused name.
All arithmetic is float64 on arrays, never Python ints: ``9**9**9`` is inf, not a huge number, and
then refused because a surface must be finite on its bounds.

Each node evaluates to (value, d/dx, d/dy) by the chain rule (forward mode), so the gradient is
exact up to rounding. Points are arrays of shape (..., 2), coordinate last, as in surfaces.py.
"""

import ast
import difflib
import unicodedata

import numpy as np

from .surface import Surface

MAX_LENGTH = 1000   # characters of formula text
MAX_NODES = 500     # numbers, names, operations and calls; the evaluator recurses once per
                    # level of the tree, so they bound its depth too
GRID = 64           # f must be finite on a GRID x GRID grid over the bounds
NAME_LENGTH = 40    # a longer formula is shortened in the surface's name

CONSTANTS = {"pi": np.pi, "e": np.e}

# name -> (f, f'). abs' is sign(u): 0 at the kink, like a subgradient.
FUNCTIONS = {
    "sin": (np.sin, np.cos),
    "cos": (np.cos, lambda u: -np.sin(u)),
    "tan": (np.tan, lambda u: 1 / np.cos(u) ** 2),
    "exp": (np.exp, np.exp),
    "log": (np.log, lambda u: 1 / u),
    "sqrt": (np.sqrt, lambda u: 0.5 / np.sqrt(u)),
    "abs": (np.abs, np.sign),
    "sinh": (np.sinh, np.cosh),
    "cosh": (np.cosh, np.sinh),
    "tanh": (np.tanh, lambda u: 1 / np.cosh(u) ** 2),  # not 1 - tanh^2, which is 0 for large u
    "arctan": (np.arctan, lambda u: 1 / (1 + u**2)),
}
FUNCTIONS["atan"] = FUNCTIONS["arctan"]

ALLOWED = ("a formula may use numbers, x, y, pi, e, + - * / ** (or ^), parentheses and "
           + ", ".join(FUNCTIONS) + " of one argument")

_OPERATORS = {ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.UAdd, ast.USub}
_OTHER_OPERATORS = {"FloorDiv": "//", "Mod": "%", "MatMult": "@", "LShift": "<<", "RShift": ">>",
                    "BitOr": "|", "BitAnd": "&", "Not": "not", "Invert": "~"}
_REFUSED = {"Attribute": "attribute access", "Subscript": "indexing", "Lambda": "lambda",
            "IfExp": "if/else", "Compare": "comparisons", "BoolOp": "and/or",
            "NamedExpr": ":=", "Starred": "*", "JoinedStr": "f-strings",
            "ListComp": "comprehensions", "SetComp": "comprehensions",
            "DictComp": "comprehensions", "GeneratorExp": "comprehensions",
            "List": "lists", "Tuple": "tuples", "Set": "sets", "Dict": "dicts"}
_ZERO, _ONE = np.float64(0.0), np.float64(1.0)


def _short(text, length=NAME_LENGTH):
    return text if len(text) <= length else text[: length - 3] + "..."


def _hint(node):
    """' (did you mean NAME?)' for a refused name or function close to an allowed one, or ''."""
    name, names = (node.func, FUNCTIONS) if isinstance(node, ast.Call) else (node, [
        "x", "y", *CONSTANTS, *FUNCTIONS])
    if not isinstance(name, ast.Name):
        return ""
    close = difflib.get_close_matches(name.id, list(names), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def _one_line(text):
    """text as one line of Python, ^ spelled **, and the 1-based text column of each character."""
    pieces, columns = [], []
    for column, char in enumerate(text, start=1):
        piece = "**" if char == "^" else " " if char.isspace() else char
        pieces.append(piece)
        columns += [column] * len(piece)
    source = "".join(pieces)
    lead = len(source) - len(source.lstrip())  # a leading space is an IndentationError
    return source[lead:], columns[lead:]


def _column(columns, index):
    return columns[index] if 0 <= index < len(columns) else columns[-1] + 1


def _refusal(node, source):
    """What is wrong with this one node, or None if the whitelist allows it."""
    kind = type(node).__name__
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):  # not bool, str, bytes, complex, None, ...
            return f"the constant {_short(repr(node.value))}"
        try:
            return None if np.isfinite(float(node.value)) else "an infinite number"
        except OverflowError:
            return f"the number {_short(str(node.value))} (too large for float64)"
    if isinstance(node, ast.Name):
        if node.id in ("x", "y") or node.id in CONSTANTS:
            return None
        if node.id in FUNCTIONS:
            return f"the function {node.id!r} without an argument"
        return f"the name {_short(node.id)!r}"
    if isinstance(node, ast.BinOp | ast.UnaryOp):
        operator = type(node.op)
        if operator in _OPERATORS:
            return None
        return f"the operator {_OTHER_OPERATORS.get(operator.__name__, operator.__name__)}"
    if isinstance(node, ast.Call):
        if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS):
            return f"calling {_short(ast.get_source_segment(source, node.func) or '?')!r}"
        if node.keywords:
            return "keyword arguments"
        if len(node.args) != 1:
            return f"{node.func.id}() with {len(node.args)} arguments"
        return None
    return _REFUSED.get(kind, f"a {kind} expression")


def _children(node):
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    return node.args if isinstance(node, ast.Call) else []


def _parse(text):
    """The expression tree of text, after checking every node against the whitelist."""
    if len(text) > MAX_LENGTH:
        raise ValueError(f"the formula has {len(text)} characters; at most {MAX_LENGTH} allowed")
    # Python reads a fullwidth or math-italic x as x, but the title's font has no glyph for it
    for column, char in enumerate(text, start=1):
        if not char.isascii() and not char.isspace():
            plain = "pi" if char == "\u03c0" else unicodedata.normalize("NFKC", char)
            hint = f" (did you mean {plain}?)" if plain.isascii() and plain.isprintable() else ""
            raise ValueError(f"the character {char!r} at column {column} is not allowed{hint}; "
                             f"{ALLOWED}, in ASCII")
    source, columns = _one_line(text)
    if not source:
        raise ValueError(f"the formula is empty; {ALLOWED}")
    try:
        body = ast.parse(source, mode="eval").body
    except SyntaxError as error:
        where = "" if error.offset is None else f" at column {_column(columns, error.offset - 1)}"
        raise ValueError(f"syntax error{where} ({error.msg}); {ALLOWED}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ValueError(f"the formula cannot be parsed; {ALLOWED}") from None
    stack, count = [body], 0
    while stack:  # iterative, so a deep tree is refused before anything recurses through it
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ValueError(f"the formula is too complex: at most {MAX_NODES} numbers, names and "
                             "operations")
        what = _refusal(node, source)
        if what:
            # col_offset counts UTF-8 bytes, columns count characters
            index = len(source.encode()[: node.col_offset].decode(errors="ignore"))
            column = _column(columns, index)
            raise ValueError(f"{what} at column {column} is not allowed{_hint(node)}; {ALLOWED}")
        stack.extend(_children(node))
    return body


def is_formula(text):
    """Whether `text` is a formula of the allowed grammar (see the module docstring)."""
    try:
        _parse(text)
    except ValueError:
        return False
    return True


def _is_constant(node):
    return not any(isinstance(n, ast.Name) and n.id in ("x", "y") for n in ast.walk(node))


def _chain(outer, inner):
    """outer * inner, but 0 where inner is 0: d/dx sqrt(y) is 0 even at y = 0, where sqrt' = inf."""
    return np.where(inner == 0, 0.0, outer * inner)


def _evaluate(node, x, y):
    """(value, d/dx, d/dy) of a checked node at float arrays x, y; call inside np.errstate."""
    match node:
        case ast.Constant(value=number):
            return np.float64(number), _ZERO, _ZERO
        case ast.Name(id="x"):
            return x, _ONE, _ZERO
        case ast.Name(id="y"):
            return y, _ZERO, _ONE
        case ast.Name(id=name):
            return np.float64(CONSTANTS[name]), _ZERO, _ZERO
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            u, ux, uy = _evaluate(operand, x, y)
            return -u, -ux, -uy
        case ast.UnaryOp(operand=operand):
            return _evaluate(operand, x, y)
        case ast.Call(func=ast.Name(id=name), args=[argument]):
            u, ux, uy = _evaluate(argument, x, y)
            function, derivative = FUNCTIONS[name]
            slope = derivative(u)
            return function(u), _chain(slope, ux), _chain(slope, uy)
    a, ax, ay = _evaluate(node.left, x, y)
    b, bx, by = _evaluate(node.right, x, y)
    match node.op:
        case ast.Add():
            return a + b, ax + bx, ay + by
        case ast.Sub():
            return a - b, ax - bx, ay - by
        case ast.Mult():
            return a * b, ax * b + a * bx, ay * b + a * by
        case ast.Div():
            value = a / b
            return value, (ax - value * bx) / b, (ay - value * by) / b
    value = a**b
    if _is_constant(node.right):  # b a^(b-1) a'; for b = 0 that is 0, not 0 * inf at a = 0
        slope = np.where(b == 0, 0.0, b * a ** (b - 1))
        return value, _chain(slope, ax), _chain(slope, ay)
    if _is_constant(node.left):  # a^b log(a) b'
        slope = value * np.log(a)
        return value, _chain(slope, bx), _chain(slope, by)
    log_a, b_over_a = np.log(a), b / a  # a^b = exp(b log a): a^b (b' log a + b a'/a)
    return value, value * (bx * log_a + b_over_a * ax), value * (by * log_a + b_over_a * ay)


def _checked_bounds(bounds):
    try:
        array = np.array(bounds, dtype=float)
    except (TypeError, ValueError):
        array = np.full((2, 2), np.nan)
    with np.errstate(all="ignore"):  # a span such as 1e308 - -1e308 overflows
        good = array.shape == (2, 2) and bool(np.all(np.isfinite(array[:, 1] - array[:, 0]))
                                               and np.all(array[:, 0] < array[:, 1]))
    if not good:
        raise ValueError(f"bounds must be ((xmin, xmax), (ymin, ymax)), finite, with min < max; "
                         f"got {_short(repr(bounds), 80)}")
    return tuple(map(tuple, array.tolist()))


def surface_from_formula(text: str, bounds=((-5, 5), (-5, 5))) -> Surface:
    """The Surface f(x, y) = text, e.g. "x^2 + 3*y^2" (^ means **), with its exact gradient.

    Raises ValueError with one line for people if the text is not a formula of the allowed
    grammar (see the module docstring), the bounds are not finite with min < max, or f is not
    finite everywhere on a GRID x GRID grid over the bounds. minima are unknown: shape (0, 2).
    """
    if not isinstance(text, str):
        raise TypeError(f"the formula must be a str, not {type(text).__name__}")
    bounds = _checked_bounds(bounds)
    body = _parse(text)

    def f(p):
        p = np.asarray(p, dtype=float)
        with np.errstate(all="ignore"):
            value, _, _ = _evaluate(body, p[..., 0], p[..., 1])
        return np.broadcast_to(value, p.shape[:-1]).astype(float)

    def grad(p):
        p = np.asarray(p, dtype=float)
        with np.errstate(all="ignore"):
            _, dx, dy = _evaluate(body, p[..., 0], p[..., 1])
        return np.stack(np.broadcast_arrays(dx, dy, p[..., 0])[:2], axis=-1).astype(float)

    (x0, x1), (y0, y1) = bounds
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID),
                                indexing="ij"), axis=-1)
    values = f(grid)
    bad = ~np.isfinite(values)
    if bad.any():
        (x, y), value = grid[bad][0], values[bad][0]
        raise ValueError(f"the formula is {value} at x = {x:.4g}, y = {y:.4g}, inside the bounds "
                         f"x in [{x0:g}, {x1:g}], y in [{y0:g}, {y1:g}]; pick --bounds where it "
                         "is finite")
    one_line = " ".join(text.split())
    return Surface(_short(one_line), f, grad, bounds, np.empty((0, 2)), one_line)
