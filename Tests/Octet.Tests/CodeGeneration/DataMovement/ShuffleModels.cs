using Octet.Compiler.Graph;
using Octet.Tests.FrontEnd;

namespace Octet.Tests.CodeGeneration.DataMovement;

/// <summary>
/// Small ONNX models around a channel shuffle as PyTorch exports it (Reshape [N, g, C/g, H, W] → Transpose
/// (0, 2, 1, 3, 4) → Reshape [N, C, H, W]). Input x [1, 4, 3, 5] with small integer values; 1×1 convolutions with
/// weights in [−2, 2] and no bias, so every float sum is an exact integer and a float plan must agree with the
/// reference executor bit for bit, whatever order its kernels add in.
/// </summary>
internal static class ShuffleModels
{
    public const int InputChannels = 4, Height = 3, Width = 5;

    /// <param name="branchChannels">Channels of the 1×1 convolutions concatenated before the shuffle; empty: the
    /// graph input x itself is shuffled.</param>
    /// <param name="groups">The shuffle's g.</param>
    /// <param name="split">Channel counts of a Split after the shuffle (each part then goes through Relu to an output);
    /// null: the shuffled tensor goes through a 1×1 convolution (8 channels) to the one output.</param>
    /// <param name="inputChannels">Channels of x.</param>
    /// <param name="perm">The Transpose's perm (default: the shuffle's (0, 2, 1, 3, 4)).</param>
    /// <param name="grouped">The first Reshape's shape (default [1, g, C/g, H, W]).</param>
    /// <param name="extraOutput">An intermediate tensor ("concatenated", "grouped", "transposed", "shuffled") also made a graph output.</param>
    public static OnnxModelBuilder Build(int[] branchChannels, int groups, int[]? split, int inputChannels = InputChannels,
        long[]? perm = null, long[]? grouped = null, string? extraOutput = null)
    {
        var model = new OnnxModelBuilder(opset: 13, graphName: "shuffle")
            .Input("x", ElementType.Float32, 1, inputChannels, Height, Width);
        string shuffled;
        int channels;
        if (branchChannels.Length == 0)
        {
            shuffled = "x";
            channels = inputChannels;
        }
        else
        {
            var branches = new List<string>();
            for (int b = 0; b < branchChannels.Length; b++)
            {
                model.Initializer($"w{b}", Weights(branchChannels[b] * inputChannels, seed: b + 1), branchChannels[b], inputChannels, 1, 1);
                model.Node("Conv", ["x", $"w{b}"], [$"branch{b}"], Attr.Ints("kernel_shape", 1, 1)).Name = $"conv{b}";
                branches.Add($"branch{b}");
            }
            model.Node("Concat", branches.ToArray(), ["concatenated"], Attr.Int("axis", 1)).Name = "concat";
            shuffled = "concatenated";
            channels = branchChannels.Sum();
        }
        model.Initializer("grouped_shape", grouped ?? [1, groups, channels / groups, Height, Width], 5);
        model.Initializer("flat_shape", new long[] { 1, channels, Height, Width }, 4);
        model.Node("Reshape", [shuffled, "grouped_shape"], ["grouped"]).Name = "reshape";
        model.Node("Transpose", ["grouped"], ["transposed"], Attr.Ints("perm", perm ?? [0, 2, 1, 3, 4])).Name = "transpose";
        if (extraOutput is not null) model.Output(extraOutput, ElementType.Float32);
        model.Node("Reshape", ["transposed", "flat_shape"], ["shuffled"]).Name = "reshape_back";
        if (split is null)
        {
            model.Initializer("w_after", Weights(8 * channels, seed: 7), 8, channels, 1, 1);
            model.Node("Conv", ["shuffled", "w_after"], ["out0"], Attr.Ints("kernel_shape", 1, 1)).Name = "conv_after";
            model.Output("out0", ElementType.Float32);
            return model;
        }
        model.Initializer("split_sizes", split.Select(s => (long)s).ToArray(), split.Length);
        model.Node("Split", ["shuffled", "split_sizes"], split.Select((_, j) => $"part{j}").ToArray(), Attr.Int("axis", 1)).Name = "split";
        for (int j = 0; j < split.Length; j++)
        {
            model.Node("Relu", [$"part{j}"], [$"out{j}"]).Name = $"relu{j}";
            model.Output($"out{j}", ElementType.Float32);
        }
        return model;
    }

    /// <summary>Integers in [−8, 8] (exact in float32), varied across positions.</summary>
    public static Dictionary<string, Tensor> Inputs(int inputChannels = InputChannels)
    {
        int count = inputChannels * Height * Width;
        return new() { ["x"] = Tensor.Create(new Shape(1, inputChannels, Height, Width), Enumerable.Range(0, count).Select(i => (float)(i * 7 % 17 - 8)).ToArray()) };
    }

    private static float[] Weights(int count, int seed) => Enumerable.Range(0, count).Select(i => (float)((i * 3 + seed) % 5 - 2)).ToArray();
}
