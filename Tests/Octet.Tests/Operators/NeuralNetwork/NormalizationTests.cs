using Octet.Compiler.Graph;
using Octet.Compiler.Operators.NeuralNetwork;
using Xunit;
using static Octet.Tests.Operators.NeuralNetwork.OperatorHarness;

namespace Octet.Tests.Operators.NeuralNetwork;

public sealed class NormalizationTests
{
    private static readonly BatchNormalization BatchNorm = new();
    private static readonly LayerNormalization LayerNorm = new();

    [Fact]
    public void Batch_normalization_inference_uses_the_given_statistics_per_channel()
    {
        // Channel 0: (x - 2) / 1; channel 1: 2 * (x - 3) / 2 + 1.
        var y = RunFloat(BatchNorm, Node("BatchNormalization", 15, 5, 1, Float("epsilon", 0)),
            F([1, 2, 1, 2], 1, 3, 2, 4), F([2], 1, 2), F([2], 0, 1), F([2], 2, 3), F([2], 1, 4));
        Assert.Equal([-1f, 1, 0, 2], y);
    }

    [Fact]
    public void Batch_normalization_epsilon_is_added_to_the_variance()
    {
        var y = RunFloat(BatchNorm, Node("BatchNormalization", 9, 5, 1, Float("epsilon", 3)),
            F([1, 1], 2), F([1], 1), F([1], 0), F([1], 0), F([1], 1));
        AssertClose([1f], y);
    }

    [Fact]
    public void Batch_normalization_training_mode_normalizes_with_batch_statistics_and_updates_running_ones()
    {
        // Batch values 1 and 3: mean 2, population variance 1.
        var outputs = Run(BatchNorm, Node("BatchNormalization", 15, 5, 3, Float("epsilon", 0), Int("training_mode", 1), Float("momentum", 0.75f)),
            [F([2, 1, 1, 1], 1, 3), F([1], 1), F([1], 0), F([1], 10), F([1], 5)]);
        Assert.Equal([-1f, 1], outputs[0].As<float>());
        AssertClose([10 * 0.75f + 2 * 0.25f], outputs[1].As<float>());
        AssertClose([5 * 0.75f + 1 * 0.25f], outputs[2].As<float>());
    }

    [Fact]
    public void Batch_normalization_rejects_what_it_does_not_support()
    {
        Tensor?[] inputs = [F([1, 2, 1], 1, 2), F([2], 1, 1), F([2], 0, 0), F([2], 0, 0), F([2], 1, 1)];
        AssertRejected(BatchNorm, Node("BatchNormalization", 9, 5, 5), inputs, "training mode");
        AssertRejected(BatchNorm, Node("BatchNormalization", 15, 5, 3), inputs, "training_mode=1");
        AssertRejected(BatchNorm, Node("BatchNormalization", 15, 5, 1, Int("training_mode", 2)), inputs, "training_mode=2");
        AssertRejected(BatchNorm, Node("BatchNormalization", 7, 5, 1, Int("spatial", 0)), inputs, "spatial=0");
        AssertRejected(BatchNorm, Node("BatchNormalization", 15, 5, 1),
            [F([1, 2, 1], 1, 2), F([3], 1, 1, 1), F([2], 0, 0), F([2], 0, 0), F([2], 1, 1)], "scale");
        AssertRejected(BatchNorm, Node("BatchNormalization", 15, 5, 1),
            [F([2], 1, 2), F([2], 1, 1), F([2], 0, 0), F([2], 0, 0), F([2], 1, 1)], "rank 2 or more");
    }

    [Fact]
    public void Layer_normalization_over_the_last_axis_with_scale_bias_and_statistics()
    {
        // Rows [1, 3] (mean 2, variance 1) and [0, 4] (mean 2, variance 4) both normalize to [-1, 1].
        var outputs = Run(LayerNorm, Node("LayerNormalization", 17, 3, 3, Float("epsilon", 0)),
            [F([2, 2], 1, 3, 0, 4), F([2], 2, 3), F([2], 1, 0)]);
        Assert.Equal([-1f, 3, -1, 3], outputs[0].As<float>());
        Assert.Equal(new Shape(2, 1), outputs[1].Shape);
        Assert.Equal([2f, 2], outputs[1].As<float>());
        Assert.Equal([1f, 0.5f], outputs[2].As<float>());
    }

    [Fact]
    public void Layer_normalization_axis_zero_normalizes_the_whole_tensor()
    {
        // Mean 2, variance (1 + 1 + 4 + 4) / 4 = 2.5.
        var y = RunFloat(LayerNorm, Node("LayerNormalization", 17, 2, 1, Int("axis", 0), Float("epsilon", 0)),
            F([2, 2], 1, 3, 0, 4), F([1], 1));
        float s = 1 / MathF.Sqrt(2.5f);
        AssertClose([-s, s, -2 * s, 2 * s], y);
    }

    [Fact]
    public void Layer_normalization_scale_broadcasts_to_the_normalized_shape()
    {
        // Normalize over the last two axes of [1, 2, 2]; scale [2, 1] scales each row of the 2x2 block.
        var y = RunFloat(LayerNorm, Node("LayerNormalization", 17, 2, 1, Int("axis", -2), Float("epsilon", 0)),
            F([1, 2, 2], 1, 1, 3, 3), F([2, 1], 1, 10));
        AssertClose([-1f, -1, 10, 10], y);

        // A scale with leading unit dims, [1, 1, 2], applies to the normalized shape [2].
        var z = RunFloat(LayerNorm, Node("LayerNormalization", 17, 2, 1, Float("epsilon", 0)), F([1, 2, 2], 1, 3, 0, 4), F([1, 1, 2], 2, 3));
        AssertClose([-2f, 3, -2, 3], z);
    }

    [Fact]
    public void Layer_normalization_rejects_bad_axis_and_scale()
    {
        AssertRejected(LayerNorm, Node("LayerNormalization", 17, 2, 1, Int("axis", 2)), [F([2, 2], 1, 2, 3, 4), F([2], 1, 1)], "axis=2");
        AssertRejected(LayerNorm, Node("LayerNormalization", 17, 2, 1), [F([2, 2], 1, 2, 3, 4), F([3], 1, 1, 1)], "Scale");
        AssertRejected(LayerNorm, Node("LayerNormalization", 17, 3, 1), [F([2, 2], 1, 2, 3, 4), F([2], 1, 1), F([2, 2, 2], 0, 0, 0, 0, 0, 0, 0, 0)], "B");
        AssertRejected(LayerNorm, Node("LayerNormalization", 17, 2, 3, Int("stash_type", 11)), [F([2, 2], 1, 2, 3, 4), F([2], 1, 1)], "stash_type");
        AssertRejected(LayerNorm, Node("LayerNormalization", 17, 2, 1, Int("stash_type", 7)), [F([2, 2], 1, 2, 3, 4), F([2], 1, 1)], "stash_type");
    }
}
