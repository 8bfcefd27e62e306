using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX BatchNormalization: <c>Y = scale * (X - mean) / sqrt(var + epsilon) + B</c> per channel (axis 1).
/// Inference mode uses the given mean and var. Training mode (<c>training_mode=1</c>, version 14 and later)
/// normalizes with the batch's own statistics (mean and population variance over every axis but 1) and
/// also outputs the updated running statistics <c>running = input * momentum + batch * (1 - momentum)</c>.
/// Before version 14, training mode (statistics outputs present) and <c>spatial=0</c> are rejected.
/// </summary>
public sealed class BatchNormalization : OperatorDefinition
{
    public override string OpType => "BatchNormalization";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 6, 7, 9, 14, 15];

    public override void InferOutputs(InferenceContext context)
    {
        var node = context.Node;
        for (int i = 0; i < 5; i++) context.ExpectType(i, ElementType.Float32);
        var x = context.InputShape(0);
        if (x.Rank < 2) throw context.Error($"input X has shape {x}; expected N x C x ... (rank 2 or more)");
        string[] names = ["scale", "B", "input_mean", "input_var"];
        for (int i = 1; i < 5; i++)
        {
            var s = context.InputShape(i);
            if (s.Rank != 1 || s[0] != x[1])
                throw context.Error($"{names[i - 1]} (input {i}) has shape {s}; expected [{x[1]}], one value per channel of X {x}");
        }

        if (node.OpsetVersion < 14)
        {
            if (node.GetInt("spatial", 1) != 1)
                throw context.Error("spatial=0 (statistics per element rather than per channel) is not supported");
            // Versions before 14 are in training mode exactly when they have statistics outputs.
            if (HasTrainingOutputs(context.OutputCount, context.HasOutput))
                throw context.Error("outputs 1 to 4 (running and saved statistics) make this a training-mode node; " +
                                    "training mode is supported only from BatchNormalization-14 (training_mode=1)");
        }
        else
        {
            long training = node.GetInt("training_mode", 0);
            if (training is not (0 or 1)) throw context.Error($"training_mode={training}; expected 0 or 1");
            if (training == 0 && HasTrainingOutputs(context.OutputCount, context.HasOutput))
                throw context.Error("running_mean and running_var outputs are only produced with training_mode=1");
        }

        context.SetOutput(0, ElementType.Float32, x);
        for (int i = 1; i < context.OutputCount; i++)
            if (context.HasOutput(i)) context.SetOutput(i, ElementType.Float32, new Shape(x[1]));
    }

    private static bool HasTrainingOutputs(int count, Func<int, bool> hasOutput)
    {
        for (int i = 1; i < count; i++) if (hasOutput(i)) return true;
        return false;
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var x = xTensor.As<float>();
        var scale = context.Input(1).As<float>();
        var bias = context.Input(2).As<float>();
        var mean = context.Input(3).As<float>();
        var variance = context.Input(4).As<float>();
        float epsilon = context.Node.GetFloat("epsilon", 1e-5f);
        bool training = context.Node.OpsetVersion >= 14 && context.Node.GetInt("training_mode", 0) == 1;

        int batch = xTensor.Shape[0], channels = xTensor.Shape[1];
        int spatial = batch * channels == 0 ? 0 : (int)(xTensor.ElementCount / ((long)batch * channels));

        var useMean = mean;
        var useVariance = variance;
        if (training)
        {
            (useMean, useVariance) = BatchStatistics(x, batch, channels, spatial);
            float momentum = context.Node.GetFloat("momentum", 0.9f);
            if (context.HasOutput(1))
                context.SetOutput(1, Tensor.Create(new Shape(channels), Blend(mean, useMean, momentum)));
            if (context.HasOutput(2))
                context.SetOutput(2, Tensor.Create(new Shape(channels), Blend(variance, useVariance, momentum)));
        }

        var y = new float[x.Length];
        for (int c = 0; c < channels; c++)
        {
            // y = x * multiplier + shift, with the per-channel constants folded once.
            float multiplier = scale[c] / MathF.Sqrt(useVariance[c] + epsilon);
            float shift = bias[c] - useMean[c] * multiplier;
            for (int n = 0; n < batch; n++)
            {
                int start = (n * channels + c) * spatial;
                for (int i = start; i < start + spatial; i++) y[i] = x[i] * multiplier + shift;
            }
        }
        context.SetOutput(0, Tensor.Create(xTensor.Shape, y));
    }

    /// <summary>Per channel: mean and population variance over the batch and spatial axes.</summary>
    private static (float[] Mean, float[] Variance) BatchStatistics(float[] x, int batch, int channels, int spatial)
    {
        var mean = new float[channels];
        var variance = new float[channels];
        long count = (long)batch * spatial;
        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                for (int i = 0, start = (n * channels + c) * spatial; i < spatial; i++) sum += x[start + i];
            double m = sum / count;
            double squares = 0;
            for (int n = 0; n < batch; n++)
                for (int i = 0, start = (n * channels + c) * spatial; i < spatial; i++)
                {
                    double d = x[start + i] - m;
                    squares += d * d;
                }
            mean[c] = (float)m;
            variance[c] = (float)(squares / count);
        }
        return (mean, variance);
    }

    private static float[] Blend(float[] running, float[] current, float momentum)
    {
        var result = new float[running.Length];
        for (int c = 0; c < result.Length; c++) result[c] = running[c] * momentum + current[c] * (1 - momentum);
        return result;
    }
}
