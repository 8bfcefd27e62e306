using Octet.Compiler.Graph;

namespace Octet.Compiler.Planning;

/// <summary>
/// Groups tensors into buffers by applying <see cref="AliasRules"/> node by node, in execution order. A
/// buffer is a set of tensors at fixed byte offsets inside it; it must be kept from its first tensor's
/// write to its last tensor's read. Without aliasing every tensor is its own buffer.
/// </summary>
internal sealed class BufferAliasing
{
    internal sealed class Buffer
    {
        public Buffer(int id) => Id = id;
        /// <summary>Creation order: the tie-break that keeps plans deterministic.</summary>
        public int Id { get; }
        public List<string> Members { get; } = new();
        /// <summary>Bytes up to the end of the furthest member (not yet aligned).</summary>
        public long Extent { get; set; }
        public int First { get; set; } = int.MaxValue;
        public int Last { get; set; } = int.MinValue;
        /// <summary>Holds a graph input or output, whose bytes the caller copies in or out: never overwritten or moved.</summary>
        public bool HoldsGraphEdge { get; set; }
        /// <summary>Moved into a Concat output's buffer; its members now belong to that one.</summary>
        public bool Absorbed { get; set; }
    }

    private readonly ModelGraph _graph;
    private readonly TensorLifetimes _lifetimes;
    private readonly HashSet<string> _graphEdges;
    private readonly Dictionary<string, (Buffer Buffer, long Offset)> _where = new(StringComparer.Ordinal);
    private readonly List<Buffer> _buffers = new();
    private readonly List<TensorAlias> _aliases = new();

    private BufferAliasing(ModelGraph graph, TensorLifetimes lifetimes)
    {
        _graph = graph;
        _lifetimes = lifetimes;
        _graphEdges = new HashSet<string>(graph.Inputs.Concat(graph.Outputs), StringComparer.Ordinal);
    }

    public IReadOnlyList<Buffer> Buffers => _buffers.Where(b => !b.Absorbed).ToList();
    public IReadOnlyList<TensorAlias> Aliases => _aliases;
    public (Buffer Buffer, long Offset) Where(string tensor) => _where[tensor];

    public static BufferAliasing Build(ModelGraph graph, TensorLifetimes lifetimes, bool aliasing, IReadOnlySet<string>? channelsLastTensors = null)
    {
        var result = new BufferAliasing(graph, lifetimes);
        foreach (var input in graph.Inputs)
            if (lifetimes.Contains(input) && !result._where.ContainsKey(input)) result.Own(input);
        for (int step = 0; step < graph.Nodes.Count; step++)
        {
            var node = graph.Nodes[step];
            foreach (var output in node.Outputs)
            {
                if (output.Length == 0 || !lifetimes.Contains(output) || result._where.ContainsKey(output)) continue;
                if (!(aliasing && (result.TryView(node, output) || result.TryInPlace(node, step, output))))
                    result.Own(output);
            }
            if (aliasing && AliasRules.IsContiguousConcat(node, graph) && result._where.ContainsKey(node.Outputs[0])
                && channelsLastTensors?.Contains(node.Outputs[0]) != true)
                result.WriteConcatInputsInPlace(node);
        }
        return result;
    }

    private long Bytes(string tensor) => TensorLifetimes.SizeInBytes(_graph.Tensor(tensor));
    private bool IsPlanned(string tensor) => tensor.Length > 0 && _where.ContainsKey(tensor);

    /// <summary>True when the tensor is all of its buffer: at offset 0, as long as the buffer.</summary>
    private bool SpansBuffer(string tensor)
    {
        var (buffer, offset) = _where[tensor];
        return offset == 0 && buffer.Extent == Bytes(tensor);
    }

    private void Own(string tensor)
    {
        var buffer = new Buffer(_buffers.Count);
        _buffers.Add(buffer);
        Join(tensor, buffer, 0);
    }

    private void Join(string tensor, Buffer buffer, long offset)
    {
        _where[tensor] = (buffer, offset);
        buffer.Members.Add(tensor);
        buffer.Extent = Math.Max(buffer.Extent, offset + Bytes(tensor));
        var lifetime = _lifetimes[tensor];
        buffer.First = Math.Min(buffer.First, lifetime.First);
        buffer.Last = Math.Max(buffer.Last, lifetime.Last);
        if (_graphEdges.Contains(tensor)) buffer.HoldsGraphEdge = true;
    }

    /// <summary>
    /// View ops (see <see cref="AliasRules.IsView"/>). Safety: the output is the input's bytes unchanged, so it
    /// takes the input's place; the buffer then lives for the union of both lifetimes, and since nothing can
    /// overwrite a buffer before its last member's last read (see <see cref="TryInPlace"/>), the input stays
    /// intact for as long as the view is read, and the view for as long as the input is. Requires the same byte
    /// size (a reshape cannot change it; checked anyway) and a non-constant input (constants are in the weights).
    /// </summary>
    private bool TryView(Node node, string output)
    {
        if (!AliasRules.IsView(node) || !node.HasInput(0) || !IsPlanned(node.Inputs[0])) return false;
        var input = node.Inputs[0];
        if (Bytes(input) != Bytes(output)) return false;
        var (buffer, offset) = _where[input];
        Join(output, buffer, offset);
        _aliases.Add(new TensorAlias(output, AliasKind.View, input));
        return true;
    }

    /// <summary>
    /// Element-wise ops writing over an input (see <see cref="AliasRules.InPlaceInputs"/> for why the op itself
    /// allows it). Safety conditions on the input:
    /// same element count and element size as the output (no broadcasting on it, element i at the same byte);
    /// it is all of its buffer and the buffer's last read (over every tensor in it: views, slices) is this node,
    /// so no later reader sees the overwritten bytes; the buffer holds no graph input (the caller's data) or
    /// graph output (must survive to the end); and no other input of this node lives in that buffer (unless it
    /// is the same tensor, e.g. Mul(x, x)), since another view or slice could be read at an element the kernel
    /// has already overwritten.
    /// </summary>
    private bool TryInPlace(Node node, int step, string output)
    {
        if (node.Outputs.Count != 1) return false;
        var outputInfo = _graph.Tensor(output);
        foreach (int index in AliasRules.InPlaceInputs(node))
        {
            if (!node.HasInput(index) || !IsPlanned(node.Inputs[index])) continue;
            var input = node.Inputs[index];
            var inputInfo = _graph.Tensor(input);
            if (inputInfo.Shape.ElementCount != outputInfo.Shape.ElementCount) continue;
            if (inputInfo.ElementType.SizeInBytes() != outputInfo.ElementType.SizeInBytes()) continue;
            var buffer = _where[input].Buffer;
            if (!SpansBuffer(input) || buffer.Last != step || buffer.HoldsGraphEdge) continue;
            bool sharedWithAnotherInput = node.Inputs.Any(other =>
                other != input && IsPlanned(other) && _where[other].Buffer == buffer);
            if (sharedWithAnotherInput) continue;
            Join(output, buffer, 0);
            _aliases.Add(new TensorAlias(output, AliasKind.InPlace, input));
            return true;
        }
        return false;
    }

    /// <summary>
    /// Contiguous Concat (see <see cref="AliasRules.IsContiguousConcat"/>): each input's buffer is moved into the
    /// output's buffer at the input's slice, so the producers write their results straight into place and the
    /// Concat copies nothing for them. The output's buffer then lives from the first input's write. Safety
    /// conditions on an input: it is all of its buffer (its bytes are not part of a larger tensor that must stay
    /// elsewhere; moving the buffer moves its views and earlier in-place generations consistently); it appears
    /// once among the inputs and no other input shares its buffer (one set of bytes cannot sit in two slices);
    /// its buffer holds no graph input or output (their place is fixed by the caller's copy). Inputs may be read
    /// after the Concat: their bytes are intact in the slice, which nothing overwrites while the merged buffer
    /// lives. Constant inputs stay in the weights and are copied by the kernel.
    /// </summary>
    private void WriteConcatInputsInPlace(Node node)
    {
        var (destination, destinationOffset) = _where[node.Outputs[0]];
        if (destinationOffset != 0 || destination.Members.Count != 1) return;
        var buffersOfInputs = node.Inputs.Where(IsPlanned).Select(i => _where[i].Buffer).ToList();
        long sliceOffset = 0;
        foreach (var input in node.Inputs)
        {
            if (input.Length == 0) continue;
            long bytes = Bytes(input);
            if (IsPlanned(input))
            {
                var source = _where[input].Buffer;
                bool eligible = SpansBuffer(input) && !source.HoldsGraphEdge && source != destination
                    && node.Inputs.Count(i => i == input) == 1 && buffersOfInputs.Count(b => b == source) == 1;
                if (eligible)
                {
                    MoveInto(source, destination, sliceOffset);
                    _aliases.Add(new TensorAlias(input, AliasKind.ConcatSlice, node.Outputs[0]));
                }
            }
            sliceOffset += bytes;
        }
    }

    private void MoveInto(Buffer source, Buffer destination, long offset)
    {
        foreach (var member in source.Members)
            Join(member, destination, offset + _where[member].Offset);
        source.Members.Clear();
        source.Absorbed = true;
    }
}
