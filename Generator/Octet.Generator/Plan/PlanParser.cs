using System;
using System.Collections.Generic;

namespace Octet.Generator.Plan
{
    /// <summary>
    /// Reads plan text (docs/model-plan.md) into a <see cref="ModelPlan"/>. Never throws on bad input: every
    /// problem is reported with its line, and a plan is returned only when there are none. Besides the syntax it
    /// checks what the generator relies on: statements in order, tensors declared before use and exactly once,
    /// byte sizes that match the shapes, 64-byte aligned weights inside the blob, arena tensors inside the arena,
    /// op indices counting from 0.
    /// </summary>
    public static class PlanParser
    {
        public static PlanParseResult Parse(string text, string path) => new Reader(text ?? "", path ?? "").Read();

        // Statement groups in the order the format requires them.
        private enum Section { Start, Version, Model, Source, Numerics, Memory, Weights, Inputs, Outputs, Tensors, Ops }

        private sealed class OpBuilder
        {
            public OpBuilder(int line, int index, string opType, string name)
            {
                Line = line;
                Index = index;
                OpType = opType;
                Name = name;
            }

            public int Line { get; }
            public int Index { get; }
            public string OpType { get; }
            public string Name { get; }
            public List<string> From { get; } = new List<string>();
            public List<string>? Inputs { get; set; }
            public List<string>? Outputs { get; set; }
            public int InputsLine { get; set; }
            public int OutputsLine { get; set; }
            public List<PlanAttribute> Attributes { get; } = new List<PlanAttribute>();
            public bool Broken { get; set; }
        }

        private sealed class Reader
        {
            private readonly string _text;
            private readonly string _path;
            private readonly List<PlanProblem> _problems = new List<PlanProblem>();
            private readonly List<PlanToken> _tokens = new List<PlanToken>();
            private int _line;
            private Section _section = Section.Start;

            private int _version;
            private string? _model;
            private PlanSource? _source;
            private string? _numerics;
            private PlanMemory? _memory;
            private PlanWeights? _weights;
            private readonly List<PlanEdge> _inputs = new List<PlanEdge>();
            private readonly List<PlanEdge> _outputs = new List<PlanEdge>();
            private readonly List<PlanTensor> _tensors = new List<PlanTensor>();
            private readonly Dictionary<string, int> _tensorLines = new Dictionary<string, int>(StringComparer.Ordinal);
            private readonly List<(PlanEdge Edge, int Line)> _edgeLines = new List<(PlanEdge, int)>();
            private readonly List<OpBuilder> _ops = new List<OpBuilder>();
            private OpBuilder? _open;

            public Reader(string text, string path)
            {
                _text = text;
                _path = path;
            }

            public PlanParseResult Read()
            {
                string[] lines = _text.Split('\n');
                for (int i = 0; i < lines.Length; i++)
                {
                    _line = i + 1;
                    string line = lines[i];
                    // A plan checked out with CRLF line ends (git autocrlf) still reads.
                    if (line.EndsWith("\r", StringComparison.Ordinal)) line = line.Substring(0, line.Length - 1);
                    string trimmed = line.TrimStart(' ');
                    if (trimmed.Length == 0 || trimmed[0] == '#') continue;
                    if (!PlanText.TryTokenize(trimmed, _tokens, out string error))
                    {
                        if (_section == Section.Start)
                        {
                            Problem($"'{_path}' is not an Octet model plan: it must start with 'octet-plan <version>'");
                            return PlanParseResult.From(_path, null, _problems);
                        }
                        Problem(error);
                        if (_open != null) _open.Broken = true;
                        continue;
                    }
                    if (!Statement()) return PlanParseResult.From(_path, null, _problems);
                }
                _line = lines.Length;
                if (_open != null) Problem($"op {_open.Index} (line {_open.Line}) has no 'end'");
                if (_section < Section.Weights && _problems.Count == 0)
                {
                    _line = 0;
                    Problem(_section == Section.Start
                        ? "the file is empty: a plan starts with 'octet-plan <version>'"
                        : $"the plan ends before its '{Expected(_section + 1)}' statement");
                }
                if (_problems.Count > 0) return PlanParseResult.From(_path, null, _problems);
                return Finish();
            }

            private static string Expected(Section section)
            {
                switch (section)
                {
                    case Section.Model: return "model";
                    case Section.Source: return "source";
                    case Section.Numerics: return "numerics";
                    case Section.Memory: return "memory";
                    default: return "weights";
                }
            }

            /// <summary>Handles one statement; false stops reading (only for a plan of another version).</summary>
            private bool Statement()
            {
                PlanToken first = _tokens[0];
                string keyword = first.Quoted ? "" : first.Text;

                if (_open != null)
                {
                    OpStatement(keyword);
                    return true;
                }

                if (_section == Section.Start)
                {
                    if (keyword != "octet-plan" || _tokens.Count != 2 || _tokens[1].Quoted)
                    {
                        Problem(PlanProblemKind.Malformed, $"'{_path}' is not an Octet model plan: it must start with 'octet-plan <version>'");
                        return false;
                    }
                    if (!PlanText.TryParseInt(_tokens[1].Text, out long version) || version != ModelPlan.CurrentVersion)
                    {
                        Problem(PlanProblemKind.VersionMismatch,
                            $"'{_path}' is a model plan of format version {_tokens[1].Text}; this version of Octet reads version {ModelPlan.CurrentVersion}. Recompile the model with the matching Octet compiler.");
                        return false;
                    }
                    _version = (int)version;
                    _section = Section.Version;
                    return true;
                }

                switch (keyword)
                {
                    case "octet-plan": Problem("'octet-plan' may appear only once, on the first statement"); break;
                    case "model": Header(Section.Model, ReadModel); break;
                    case "source": Header(Section.Source, ReadSource); break;
                    case "numerics": Header(Section.Numerics, ReadNumerics); break;
                    case "memory": Header(Section.Memory, ReadMemory); break;
                    case "weights": Header(Section.Weights, ReadWeights); break;
                    case "input": Body(Section.Inputs, () => ReadEdge(_inputs, "quantize")); break;
                    case "output": Body(Section.Outputs, () => ReadEdge(_outputs, "dequantize")); break;
                    case "tensor": Body(Section.Tensors, ReadTensor); break;
                    case "op": Body(Section.Ops, ReadOpStart); break;
                    case "from":
                    case "inputs":
                    case "outputs":
                    case "attr":
                    case "end":
                        Problem($"'{keyword}' outside an op block");
                        break;
                    default:
                        Problem($"unknown statement '{first}'");
                        break;
                }
                return true;
            }

            // The header statements each appear exactly once, in order, before anything else.
            private void Header(Section section, Action read)
            {
                if (_section >= section)
                {
                    Problem($"'{Expected(section)}' appears twice or out of order");
                    return;
                }
                if (_section != section - 1)
                {
                    Problem($"'{Expected(section)}' before the '{Expected(_section + 1)}' statement");
                    _section = section;
                    return;
                }
                _section = section;
                read();
            }

            private void Body(Section section, Action read)
            {
                if (_section < Section.Weights)
                {
                    Problem($"'{_tokens[0].Text}' before the '{Expected(_section + 1)}' statement");
                    return;
                }
                if (_section > section)
                {
                    Problem($"'{_tokens[0].Text}' out of order: the order is input, output, tensor, op");
                    return;
                }
                _section = section;
                read();
            }

            private void ReadModel()
            {
                if (!Count(2, "model <name>")) return;
                _model = _tokens[1].Text;
            }

            private void ReadSource()
            {
                if (!Count(4, "source <file-name> sha256 <64 hex>") || !Keyword(2, "sha256")) return;
                if (!Sha256(_tokens[3])) return;
                _source = new PlanSource(_tokens[1].Text, _tokens[3].Text);
            }

            private void ReadNumerics()
            {
                if (!Count(2, "numerics integer-only|ort-compatible|float32")) return;
                string mode = _tokens[1].Text;
                if (_tokens[1].Quoted || mode != ModelPlan.IntegerOnly && mode != ModelPlan.OrtCompatible && mode != ModelPlan.Float32)
                {
                    Problem($"unknown numerics '{_tokens[1]}': expected integer-only, ort-compatible or float32");
                    return;
                }
                _numerics = mode;
            }

            private void ReadMemory()
            {
                const string form = "memory arena <bytes> lower-bound <bytes> naive <bytes>";
                if (!Count(7, form) || !Keyword(1, "arena") || !Keyword(3, "lower-bound") || !Keyword(5, "naive")) return;
                if (!Size(2, out long arena) || !Size(4, out long lower) || !Size(6, out long naive)) return;
                _memory = new PlanMemory(arena, lower, naive);
            }

            private void ReadWeights()
            {
                if (!Count(5, "weights bytes <bytes> sha256 <64 hex>") || !Keyword(1, "bytes") || !Keyword(3, "sha256")) return;
                if (!Size(2, out long bytes) || !Sha256(_tokens[4])) return;
                _weights = new PlanWeights(bytes, _tokens[4].Text);
            }

            private void ReadEdge(List<PlanEdge> edges, string stepKeyword)
            {
                string form = $"{_tokens[0].Text} <name> tensor <tensor> [{stepKeyword} <tensor> <int8|uint8> scale <float> zero-point <int>]";
                if (_tokens.Count != 4 && _tokens.Count != 11)
                {
                    Problem($"expected '{form}'");
                    return;
                }
                if (!Keyword(2, "tensor")) return;
                PlanEdgeQuantization? quantized = null;
                if (_tokens.Count == 11)
                {
                    if (!Keyword(4, stepKeyword) || !Keyword(7, "scale") || !Keyword(9, "zero-point")) return;
                    string type = _tokens[6].Text;
                    if (_tokens[6].Quoted || type != "int8" && type != "uint8")
                    {
                        Problem($"the {stepKeyword} type must be int8 or uint8, not '{_tokens[6]}'");
                        return;
                    }
                    if (!Float(8, out float scale)) return;
                    if (!Integer(10, out long zeroPoint)) return;
                    long low = type == "int8" ? -128 : 0, high = type == "int8" ? 127 : 255;
                    if (zeroPoint < low || zeroPoint > high)
                    {
                        Problem($"zero point {zeroPoint} is outside the {type} range");
                        return;
                    }
                    quantized = new PlanEdgeQuantization(_tokens[5].Text, type, scale, (int)zeroPoint);
                }
                var edge = new PlanEdge(_tokens[1].Text, _tokens[3].Text, quantized);
                edges.Add(edge);
                _edgeLines.Add((edge, _line));
            }

            private void ReadTensor()
            {
                const string form = "tensor <name> <type> <shape> <layout> arena|weights <offset> bytes <n> | inline bytes <n> values ...";
                if (_tokens.Count < 7)
                {
                    Problem($"expected '{form}'");
                    return;
                }
                string name = _tokens[1].Text;
                string type = _tokens[2].Text;
                if (_tokens[2].Quoted || !PlanText.IsElementType(type))
                {
                    Problem($"tensor {PlanText.Name(name)}: unknown element type '{_tokens[2]}'");
                    return;
                }
                if (_tokens[3].Quoted || !PlanText.TryParseShape(_tokens[3].Text, out int[] shape))
                {
                    Problem($"tensor {PlanText.Name(name)}: bad shape '{_tokens[3]}' (expected [d0,d1,...] with non-negative integers)");
                    return;
                }
                string layout = _tokens[4].Text;
                if (_tokens[4].Quoted || !PlanText.IsLayout(layout))
                {
                    Problem($"tensor {PlanText.Name(name)}: unknown layout '{_tokens[4]}' (rowmajor, NHWC, OHWI or NK)");
                    return;
                }
                if (layout != PlanText.RowMajor && shape.Length != (layout == PlanText.Nk ? 2 : 4))
                {
                    Problem($"tensor {PlanText.Name(name)}: layout {layout} needs a rank-{(layout == PlanText.Nk ? 2 : 4)} shape, not {PlanText.Shape(shape)}");
                    return;
                }

                long elements = 1;
                foreach (int d in shape)
                {
                    // Guarded rather than checked: a hostile shape must become a problem, not an exception.
                    if (d != 0 && elements > long.MaxValue / 8 / d)
                    {
                        Problem($"tensor {PlanText.Name(name)}: shape {PlanText.Shape(shape)} is too large");
                        return;
                    }
                    elements *= d;
                }
                long expectedBytes = elements * PlanText.ElementSize(type);

                string storageKeyword = _tokens[5].Quoted ? "" : _tokens[5].Text;
                PlanStorage storage;
                long offset = 0;
                long bytes;
                var values = new List<string>();
                switch (storageKeyword)
                {
                    case "arena":
                    case "weights":
                        if (_tokens.Count != 9)
                        {
                            Problem($"expected 'tensor <name> <type> <shape> <layout> {storageKeyword} <offset> bytes <n>'");
                            return;
                        }
                        storage = storageKeyword == "arena" ? PlanStorage.Arena : PlanStorage.Weights;
                        if (!Size(6, out offset) || !Keyword(7, "bytes") || !Size(8, out bytes)) return;
                        if (storage == PlanStorage.Weights && offset % 64 != 0)
                        {
                            Problem($"tensor {PlanText.Name(name)}: weights offset {offset} is not a multiple of 64");
                            return;
                        }
                        break;
                    case "inline":
                        storage = PlanStorage.Inline;
                        if (!Keyword(5, "inline") || !Keyword(6, "bytes")) return;
                        if (_tokens.Count < 9 || !Keyword(8, "values"))
                        {
                            Problem("expected 'tensor <name> <type> <shape> <layout> inline bytes <n> values <v0> <v1> ...'");
                            return;
                        }
                        if (!Size(7, out bytes)) return;
                        for (int i = 9; i < _tokens.Count; i++)
                        {
                            if (_tokens[i].Quoted || !(type == "float32"
                                    ? PlanText.TryParseFloat(_tokens[i].Text, out _)
                                    : PlanText.TryParseInt(_tokens[i].Text, out _)))
                            {
                                Problem($"tensor {PlanText.Name(name)}: '{_tokens[i]}' is not a {type} value");
                                return;
                            }
                            values.Add(_tokens[i].Text);
                        }
                        if (values.Count != elements)
                        {
                            Problem($"tensor {PlanText.Name(name)}: {values.Count} inline values for shape {PlanText.Shape(shape)} ({elements} elements)");
                            return;
                        }
                        break;
                    default:
                        Problem($"tensor {PlanText.Name(name)}: unknown storage '{_tokens[5]}' (arena, weights or inline)");
                        return;
                }
                if (bytes != expectedBytes)
                {
                    Problem($"tensor {PlanText.Name(name)}: {bytes} bytes, but {PlanText.Shape(shape)} of {type} is {expectedBytes}");
                    return;
                }
                if (_tensorLines.TryGetValue(name, out int firstLine))
                {
                    Problem($"tensor {PlanText.Name(name)} is declared twice (first on line {firstLine})");
                    return;
                }
                _tensorLines.Add(name, _line);
                _tensors.Add(new PlanTensor(name, type, shape.ToEquatableArray(), layout, storage, offset, bytes, values.ToEquatableArray()));
            }

            private void ReadOpStart()
            {
                if (!Count(4, "op <index> <op-type> <name>")) return;
                if (!Integer(1, out long index)) return;
                if (_tokens[2].Quoted || _tokens[2].Text.Length == 0)
                {
                    Problem($"op {index}: the op type must be bare, not '{_tokens[2]}'");
                    return;
                }
                if (index != _ops.Count)
                {
                    Problem($"op index {index} where {_ops.Count} was expected (ops count from 0 in execution order)");
                }
                _open = new OpBuilder(_line, (int)index, _tokens[2].Text, _tokens[3].Text);
                _ops.Add(_open);
            }

            private void OpStatement(string keyword)
            {
                var op = _open!;
                switch (keyword)
                {
                    case "from":
                        if (op.Inputs != null)
                        {
                            Problem($"op {op.Index}: 'from' after 'inputs'");
                            op.Broken = true;
                            return;
                        }
                        if (!Count(3, "from <onnx-op-type> <onnx-node-name>")) { op.Broken = true; return; }
                        op.From.Add(PlanOp.FromEntry(_tokens[1].Text, _tokens[2].Text));
                        return;
                    case "inputs":
                        if (op.Inputs != null)
                        {
                            Problem($"op {op.Index}: a second 'inputs' line");
                            op.Broken = true;
                            return;
                        }
                        op.Inputs = Names();
                        op.InputsLine = _line;
                        return;
                    case "outputs":
                        if (op.Inputs == null || op.Outputs != null)
                        {
                            Problem($"op {op.Index}: 'outputs' must follow 'inputs' and appear once");
                            op.Broken = true;
                            return;
                        }
                        op.Outputs = Names();
                        op.OutputsLine = _line;
                        return;
                    case "attr":
                        if (op.Outputs == null)
                        {
                            Problem($"op {op.Index}: 'attr' before 'outputs'");
                            op.Broken = true;
                            return;
                        }
                        if (ReadAttribute() is { } attribute)
                        {
                            foreach (var existing in op.Attributes)
                            {
                                if (existing.Name == attribute.Name)
                                {
                                    Problem($"op {op.Index}: attribute {PlanText.Name(attribute.Name)} appears twice");
                                    op.Broken = true;
                                    return;
                                }
                            }
                            op.Attributes.Add(attribute);
                        }
                        else op.Broken = true;
                        return;
                    case "end":
                        if (_tokens.Count != 1) Problem("'end' takes nothing after it");
                        else if (op.Outputs == null) Problem($"op {op.Index} ends without its 'inputs' and 'outputs' lines");
                        _open = null;
                        return;
                    case "op":
                        Problem($"op {op.Index} (line {op.Line}) has no 'end' before the next op");
                        _open = null;
                        Statement();
                        return;
                    default:
                        Problem($"op {op.Index}: unexpected '{_tokens[0]}' inside an op block (from, inputs, outputs, attr or end)");
                        op.Broken = true;
                        return;
                }
            }

            private List<string> Names()
            {
                var names = new List<string>();
                for (int i = 1; i < _tokens.Count; i++) names.Add(_tokens[i].Text);
                return names;
            }

            private PlanAttribute? ReadAttribute()
            {
                if (_tokens.Count < 3)
                {
                    Problem("expected 'attr <name> int|ints|float|floats|string <values>'");
                    return null;
                }
                string name = _tokens[1].Text;
                PlanAttributeKind kind;
                switch (_tokens[2].Quoted ? "" : _tokens[2].Text)
                {
                    case "int": kind = PlanAttributeKind.Int; break;
                    case "ints": kind = PlanAttributeKind.Ints; break;
                    case "float": kind = PlanAttributeKind.Float; break;
                    case "floats": kind = PlanAttributeKind.Floats; break;
                    case "string": kind = PlanAttributeKind.String; break;
                    default:
                        Problem($"attribute {PlanText.Name(name)}: unknown kind '{_tokens[2]}' (int, ints, float, floats or string)");
                        return null;
                }
                bool single = kind == PlanAttributeKind.Int || kind == PlanAttributeKind.Float || kind == PlanAttributeKind.String;
                if (single && _tokens.Count != 4)
                {
                    Problem($"attribute {PlanText.Name(name)}: a {_tokens[2].Text} attribute has exactly one value");
                    return null;
                }
                var values = new List<string>();
                for (int i = 3; i < _tokens.Count; i++)
                {
                    var token = _tokens[i];
                    bool ok = kind == PlanAttributeKind.String
                        ? token.Quoted
                        : !token.Quoted && (kind == PlanAttributeKind.Int || kind == PlanAttributeKind.Ints
                            ? PlanText.TryParseInt(token.Text, out _)
                            : PlanText.TryParseFloat(token.Text, out _));
                    if (!ok)
                    {
                        Problem($"attribute {PlanText.Name(name)}: '{token}' is not a valid {_tokens[2].Text} value");
                        return null;
                    }
                    values.Add(token.Text);
                }
                return new PlanAttribute(name, kind, values.ToEquatableArray());
            }

            /// <summary>Cross-statement checks, then the plan.</summary>
            private PlanParseResult Finish()
            {
                var tensors = new Dictionary<string, PlanTensor>(StringComparer.Ordinal);
                foreach (var tensor in _tensors) tensors[tensor.Name] = tensor;

                foreach (var tensor in _tensors)
                {
                    _line = _tensorLines[tensor.Name];
                    // Compared as "offset > size - bytes" so huge offsets cannot overflow past the check.
                    if (tensor.Storage == PlanStorage.Arena && (tensor.Bytes > _memory!.ArenaBytes || tensor.Offset > _memory.ArenaBytes - tensor.Bytes))
                        Problem($"tensor {PlanText.Name(tensor.Name)} ({tensor.Bytes} bytes at {tensor.Offset}) does not fit the {_memory.ArenaBytes}-byte arena");
                    if (tensor.Storage == PlanStorage.Weights && (tensor.Bytes > _weights!.Bytes || tensor.Offset > _weights.Bytes - tensor.Bytes))
                        Problem($"tensor {PlanText.Name(tensor.Name)} ({tensor.Bytes} bytes at {tensor.Offset}) does not fit the {_weights.Bytes}-byte weights");
                }

                foreach (var (edge, line) in _edgeLines)
                {
                    _line = line;
                    if (!tensors.TryGetValue(edge.Tensor, out var tensor))
                        Problem($"{PlanText.Name(edge.Name)}: tensor {PlanText.Name(edge.Tensor)} is not declared");
                    else if (tensor.Storage != PlanStorage.Arena)
                        Problem($"{PlanText.Name(edge.Name)}: tensor {PlanText.Name(edge.Tensor)} must live in the arena");
                    if (edge.Quantized is { } q)
                    {
                        if (!tensors.TryGetValue(q.Tensor, out var quantized))
                            Problem($"{PlanText.Name(edge.Name)}: tensor {PlanText.Name(q.Tensor)} is not declared");
                        else if (quantized.ElementType != q.ElementType)
                            Problem($"{PlanText.Name(edge.Name)}: tensor {PlanText.Name(q.Tensor)} is {quantized.ElementType}, not {q.ElementType}");
                    }
                }

                var ops = new List<PlanOp>();
                foreach (var op in _ops)
                {
                    _line = op.Line;
                    if (op.Broken || op.Outputs == null) continue;
                    _line = op.InputsLine;
                    foreach (var input in op.Inputs!)
                    {
                        if (input.Length > 0 && !tensors.ContainsKey(input))
                            Problem($"op {op.Index} ({PlanText.Name(op.Name)}): input tensor {PlanText.Name(input)} is not declared");
                    }
                    _line = op.OutputsLine;
                    if (op.Outputs.Count == 0) Problem($"op {op.Index} ({PlanText.Name(op.Name)}) has no outputs");
                    foreach (var output in op.Outputs)
                    {
                        if (!tensors.TryGetValue(output, out var tensor))
                            Problem($"op {op.Index} ({PlanText.Name(op.Name)}): output tensor {PlanText.Name(output)} is not declared");
                        else if (tensor.Storage != PlanStorage.Arena)
                            Problem($"op {op.Index} ({PlanText.Name(op.Name)}): output tensor {PlanText.Name(output)} is a constant");
                    }
                    ops.Add(new PlanOp(op.Index, op.OpType, op.Name, op.From.ToEquatableArray(), op.Inputs.ToEquatableArray(),
                        op.Outputs.ToEquatableArray(), op.Attributes.ToEquatableArray()));
                }
                if (_problems.Count > 0) return PlanParseResult.From(_path, null, _problems);

                var plan = new ModelPlan(_version, _model!, _source!, _numerics!, _memory!, _weights!,
                    _inputs.ToEquatableArray(), _outputs.ToEquatableArray(), _tensors.ToEquatableArray(), ops.ToEquatableArray());
                return PlanParseResult.From(_path, plan, _problems);
            }

            private bool Count(int count, string form)
            {
                if (_tokens.Count == count) return true;
                Problem($"expected '{form}'");
                return false;
            }

            private bool Keyword(int index, string keyword)
            {
                if (index < _tokens.Count && !_tokens[index].Quoted && _tokens[index].Text == keyword) return true;
                Problem(index < _tokens.Count
                    ? $"expected '{keyword}' where '{_tokens[index]}' is"
                    : $"expected '{keyword}' at the end of the line");
                return false;
            }

            private bool Integer(int index, out long value)
            {
                if (!_tokens[index].Quoted && PlanText.TryParseInt(_tokens[index].Text, out value)) return true;
                value = 0;
                Problem($"'{_tokens[index]}' is not an integer");
                return false;
            }

            private bool Size(int index, out long value)
            {
                if (!Integer(index, out value)) return false;
                if (value >= 0) return true;
                Problem($"'{_tokens[index]}' must not be negative");
                return false;
            }

            private bool Float(int index, out float value)
            {
                if (!_tokens[index].Quoted && PlanText.TryParseFloat(_tokens[index].Text, out value)) return true;
                value = 0;
                Problem($"'{_tokens[index]}' is not a float");
                return false;
            }

            private bool Sha256(PlanToken token)
            {
                bool ok = !token.Quoted && token.Text.Length == 64;
                if (ok)
                {
                    foreach (char c in token.Text) ok &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                }
                if (!ok) Problem($"'{token}' is not a SHA-256 (64 lowercase hex digits)");
                return ok;
            }

            private void Problem(string message) => Problem(PlanProblemKind.Malformed, message);

            private void Problem(PlanProblemKind kind, string message) => _problems.Add(new PlanProblem(_line, kind, message));
        }
    }
}
