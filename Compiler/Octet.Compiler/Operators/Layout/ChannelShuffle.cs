using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;

namespace Octet.Compiler.Operators.Layout;

/// <summary>
/// octet.ChannelShuffle(X_0, …, X_{n-1}) → Y_0, …, Y_{m-1}: ShuffleNet's channel shuffle, with the Concat before it
/// and the Split after it folded in. All inputs and outputs are rank 4 [N, C_k, H, W] of one element type, with the
/// same N, H and W. Attributes: <c>groups</c> (int g ≥ 1) and <c>split</c> (ints, the outputs' channel counts;
/// optional for one output, which then has all C channels). With X the inputs concatenated along axis 1
/// (C = Σ C_i channels, a multiple of g):
/// <code>
/// Z[n, c, h, w] = X[n, (c mod g)·(C / g) + c div g, h, w]
/// Y_j = Z[:, s_j : s_j + split_j, :, :]   (s_j = Σ_{k&lt;j} split_k, Σ split = C)
/// </code>
/// Z is exactly what ONNX spells as Reshape [N, g, C/g, H, W] → Transpose perm (0, 2, 1, 3, 4) → Reshape [N, C, H, W]
/// (see <c>CodeGeneration.ChannelShuffleFusion</c>, which builds this op from that pattern). It only moves values,
/// so 8-bit tensors keep their quantization. Unlike that Reshape/Transpose chain it is a per-pixel permutation of
/// the channel vector, so code generation can run it on NHWC tensors (each output pixel gathers channels of the
/// same input pixel) instead of converting to row-major and back.
/// </summary>
public sealed class ChannelShuffle : OperatorDefinition
{
    public const string Name = "ChannelShuffle";

    public override string OpType => Name;
    public override string Domain => IntegerOperator.OctetDomain;
    public override IReadOnlyList<int> SinceVersions { get; } = [1];

    public override void InferOutputs(InferenceContext context)
    {
        foreach (var name in context.Node.Attributes.Keys)
            if (name is not ("groups" or "split")) throw context.Error($"unknown attribute '{name}'; ChannelShuffle takes groups, split");
        if (context.InputCount == 0) throw context.Error("takes at least one input");
        if (context.OutputCount == 0) throw context.Error("has at least one output");
        var first = context.InputShape(0);
        if (first.Rank != 4) throw context.Error($"input 0 has shape {first}; ChannelShuffle takes rank-4 [N, C, H, W] tensors");
        long channels = 0;
        for (int i = 0; i < context.InputCount; i++)
        {
            if (!context.HasInput(i)) throw context.Error($"input {i} is missing; every input is required");
            var shape = context.InputShape(i);
            if (context.InputType(i) != context.InputType(0))
                throw context.Error($"input {i} is {context.InputType(i).OnnxName()}, input 0 is {context.InputType(0).OnnxName()}; all inputs have one element type");
            if (shape.Rank != 4 || shape[0] != first[0] || shape[2] != first[2] || shape[3] != first[3])
                throw context.Error($"input {i} has shape {shape}; it must be [N, C, H, W] with input 0's N, H, W {first}");
            channels += shape[1];
        }
        var (_, split) = Parameters(context.Node, channels, context.OutputCount, message => context.Error(message));
        for (int j = 0; j < split.Length; j++)
            context.SetOutput(j, context.InputType(0), new Shape(first[0], split[j], first[2], first[3]));
    }

    public override void Execute(KernelContext context)
    {
        var inputs = Enumerable.Range(0, context.InputCount).Select(context.Input).ToArray();
        var first = inputs[0].Shape;
        int batch = first[0], plane = first[2] * first[3];
        int channels = inputs.Sum(x => x.Shape[1]);
        var (groups, split) = Parameters(context.Node, channels, context.Node.Outputs.Count, message => context.Error(message));
        int perGroup = channels / groups;

        // Where concatenated channel K lives: input Source[K], channel Channel[K] of it.
        var source = new int[channels];
        var channel = new int[channels];
        for (int i = 0, k = 0; i < inputs.Length; i++)
            for (int c = 0; c < inputs[i].Shape[1]; c++, k++) (source[k], channel[k]) = (i, c);

        var type = inputs[0].ElementType;
        int start = 0;
        for (int j = 0; j < split.Length; j++)
        {
            var shape = new Shape(batch, split[j], first[2], first[3]);
            var data = Array.CreateInstance(type.ClrType(), shape.ElementCount);
            for (int n = 0; n < batch; n++)
                for (int c = 0; c < split[j]; c++)
                {
                    int shuffled = start + c;
                    int concatenated = (shuffled % groups) * perGroup + shuffled / groups;
                    var from = inputs[source[concatenated]];
                    // One H×W plane: contiguous in the logical (row-major NCHW) order of both tensors.
                    Array.Copy(from.Data, ((long)n * from.Shape[1] + channel[concatenated]) * plane, data, ((long)n * split[j] + c) * plane, plane);
                }
            context.SetOutput(j, Tensor.Create(type, shape, data));
            start += split[j];
        }
    }

    /// <summary>The node's groups and output channel counts, checked against <paramref name="channels"/> (C).</summary>
    public static (int Groups, int[] Split) Parameters(Node node, long channels, int outputs, Func<string, Exception> error)
    {
        long groups = node.GetInt("groups", 0);
        if (groups < 1) throw error($"groups={groups}; it must be at least 1");
        if (channels % groups != 0) throw error($"the inputs have {channels} channels together, which groups={groups} does not divide");
        long[] split = node.GetInts("split") ?? (outputs == 1 ? [channels] : throw error($"has {outputs} outputs but no 'split' attribute giving their channel counts"));
        if (split.Length != outputs)
            throw error($"split [{string.Join(",", split)}] has {split.Length} sizes but the node has {outputs} outputs");
        if (split.Any(s => s < 1) || split.Sum() != channels)
            throw error($"split [{string.Join(",", split)}] must be positive channel counts summing to {channels}, the inputs' channels together");
        return ((int)groups, split.Select(s => (int)s).ToArray());
    }
}
