using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX Resize: nearest, (multi-)linear and cubic interpolation, with every coordinate transformation mode,
/// nearest rounding mode, exclude_outside, antialias, axes and keep_aspect_ratio_policy of versions 10 to 19.
/// float32, int8 and uint8 (integer results are rounded half to even and saturated).
/// </summary>
/// <remarks>
/// Interpolation is separable, so the kernel resizes one axis at a time: for each output position along the
/// axis it computes a few input positions and their weights ("taps"), then blends whole input slices.
/// Version 10 has no coordinate_transformation_mode: like ONNX Runtime it maps coordinates asymmetrically
/// (<c>x_in = x_out / scale</c>) and rounds nearest down when upsampling and up when downsampling.
/// The output size with scales is <c>floor(input * scale)</c>; coordinate formulas use the unrounded
/// <c>input * scale</c> where the ONNX reference does (align_corners, tf_crop_and_resize, half_pixel_symmetric).
/// </remarks>
public sealed class Resize : OperatorDefinition
{
    public override string OpType => "Resize";
    public override IReadOnlyList<int> SinceVersions { get; } = [10, 11, 13, 18, 19];

    /// <summary>Everything the kernel needs, resolved from attributes and the scales/sizes/roi inputs.</summary>
    private sealed record Plan(int[] OutputShape, double[] Scales, double[] RoiStart, double[] RoiEnd, Settings Settings);

    private sealed record Settings(string Mode, string CoordinateMode, string NearestMode, double CubicA,
        bool ExcludeOutside, double ExtrapolationValue, bool Antialias, bool Version10);

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, ElementType.Float32, ElementType.Int8, ElementType.UInt8);
        var settings = ReadSettings(context.Node);
        int version = context.Node.OpsetVersion;
        int scalesIndex = version < 11 ? 1 : 2;
        Tensor? Constant(int index)
        {
            if (!context.HasInput(index)) return null;
            // roi matters only to tf_crop_and_resize; elsewhere it may be anything, even unknown.
            if (index == 1 && version >= 11 && settings.CoordinateMode != "tf_crop_and_resize") return null;
            string what = index == scalesIndex ? "scales" : index == 3 ? "sizes" : "roi";
            return context.RequireConstantInput(index, what);
        }
        var plan = MakePlan(context.Node, context.InputShape(0), settings, Constant);
        context.SetOutput(0, context.InputType(0), OutputShape.Create(context.Node, plan.OutputShape));
    }

    private static Settings ReadSettings(Node node)
    {
        int version = node.OpsetVersion;
        string mode = node.GetString("mode", "nearest");
        if (mode is not ("nearest" or "linear" or "cubic") || (version < 11 && mode == "cubic"))
            throw OctetException.AtNode(node, $"mode \"{mode}\" is not one of {(version < 11 ? "nearest, linear" : "nearest, linear, cubic")}");

        string coordinateMode = version < 11 ? "asymmetric" : node.GetString("coordinate_transformation_mode", "half_pixel");
        var coordinateModes = new List<string> { "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize" };
        if (version == 11) coordinateModes.Add("tf_half_pixel_for_nn");
        if (version >= 19) coordinateModes.Add("half_pixel_symmetric");
        if (!coordinateModes.Contains(coordinateMode))
            throw OctetException.AtNode(node, $"coordinate_transformation_mode \"{coordinateMode}\" is not one of {string.Join(", ", coordinateModes)}");

        string nearestMode = node.GetString("nearest_mode", "round_prefer_floor");
        if (nearestMode is not ("round_prefer_floor" or "round_prefer_ceil" or "floor" or "ceil"))
            throw OctetException.AtNode(node, $"nearest_mode \"{nearestMode}\" is not one of round_prefer_floor, round_prefer_ceil, floor, ceil");

        bool Flag(string name)
        {
            long value = node.GetInt(name, 0);
            if (value is not (0 or 1)) throw OctetException.AtNode(node, $"{name}={value}; expected 0 or 1");
            return value == 1;
        }
        bool antialias = Flag("antialias");
        if (antialias && mode == "nearest")
            throw OctetException.AtNode(node, "antialias=1 applies to linear and cubic modes, not nearest");

        return new Settings(mode, coordinateMode, nearestMode, node.GetFloat("cubic_coeff_a", -0.75f),
            Flag("exclude_outside"), node.GetFloat("extrapolation_value", 0f), antialias, version < 11);
    }

    /// <param name="input">The value of input i, or null when it is absent (or, for roi, not needed).</param>
    private static Plan MakePlan(Node node, Shape x, Settings settings, Func<int, Tensor?> input)
    {
        int rank = x.Rank;
        bool version10 = settings.Version10;

        // axes (version 18+): scales, sizes and roi then list only these axes.
        var axes = Enumerable.Range(0, rank).ToArray();
        if (node.GetInts("axes") is { } axesAttribute)
        {
            axes = new int[axesAttribute.Length];
            for (int i = 0; i < axes.Length; i++)
            {
                long a = axesAttribute[i];
                if (a < -rank || a >= rank)
                    throw OctetException.AtNode(node, $"axes value {a} is out of range for X of shape {x}");
                axes[i] = (int)(a < 0 ? a + rank : a);
            }
            if (axes.Distinct().Count() != axes.Length)
                throw OctetException.AtNode(node, $"axes [{string.Join(",", axesAttribute)}] repeat an axis");
        }

        var scalesTensor = input(version10 ? 1 : 2);
        var sizesTensor = version10 ? null : input(3);
        // An empty tensor stands for an absent input (version 11 requires scales even when sizes are used).
        if (scalesTensor is { ElementCount: 0 }) scalesTensor = null;
        if (sizesTensor is { ElementCount: 0 }) sizesTensor = null;
        if ((scalesTensor is null) == (sizesTensor is null))
            throw OctetException.AtNode(node, "exactly one of scales and sizes must be given (and not empty)");

        var scales = Enumerable.Repeat(1.0, rank).ToArray();
        var output = x.ToArray();
        if (scalesTensor is not null)
        {
            if (scalesTensor.ElementType != ElementType.Float32)
                throw OctetException.AtNode(node, $"scales is {scalesTensor.ElementType.OnnxName()}; expected float");
            var values = scalesTensor.As<float>();
            if (values.Length != axes.Length)
                throw OctetException.AtNode(node, $"scales has {values.Length} values; expected {axes.Length} (one per resized axis of X {x})");
            for (int i = 0; i < axes.Length; i++)
            {
                if (!(values[i] > 0) || float.IsInfinity(values[i]))
                    throw OctetException.AtNode(node, $"scale {values[i]} for axis {axes[i]} must be positive and finite");
                scales[axes[i]] = values[i];
                output[axes[i]] = OutputSize(node, Math.Floor(x[axes[i]] * (double)values[i]), axes[i]);
            }
        }
        else
        {
            if (sizesTensor!.ElementType != ElementType.Int64)
                throw OctetException.AtNode(node, $"sizes is {sizesTensor.ElementType.OnnxName()}; expected int64");
            var values = sizesTensor.As<long>();
            if (values.Length != axes.Length)
                throw OctetException.AtNode(node, $"sizes has {values.Length} values; expected {axes.Length} (one per resized axis of X {x})");
            for (int i = 0; i < axes.Length; i++)
            {
                if (values[i] < 1) throw OctetException.AtNode(node, $"size {values[i]} for axis {axes[i]} must be at least 1");
                if (x[axes[i]] == 0) throw OctetException.AtNode(node, $"cannot resize axis {axes[i]} of X {x}: it is empty");
                output[axes[i]] = OutputSize(node, values[i], axes[i]);
                scales[axes[i]] = (double)values[i] / x[axes[i]];
            }

            string policy = node.GetString("keep_aspect_ratio_policy", "stretch");
            if (policy is not ("stretch" or "not_larger" or "not_smaller"))
                throw OctetException.AtNode(node, $"keep_aspect_ratio_policy \"{policy}\" is not one of stretch, not_larger, not_smaller");
            if (policy != "stretch")
            {
                // One scale for all resized axes: the largest that fits in sizes, or the smallest that covers it.
                double scale = policy == "not_larger" ? axes.Min(a => scales[a]) : axes.Max(a => scales[a]);
                foreach (var a in axes)
                {
                    scales[a] = scale;
                    output[a] = OutputSize(node, Math.Floor(scale * x[a] + 0.5), a);
                }
            }
        }

        var roiStart = new double[rank];
        var roiEnd = Enumerable.Repeat(1.0, rank).ToArray();
        if (settings.CoordinateMode == "tf_crop_and_resize")
        {
            var roi = input(1) ?? throw OctetException.AtNode(node, "coordinate_transformation_mode tf_crop_and_resize needs the roi input");
            var values = roi.ToFloatArray();
            if (values.Length != 2 * axes.Length)
                throw OctetException.AtNode(node, $"roi has {values.Length} values; expected {2 * axes.Length} (start and end for each resized axis)");
            for (int i = 0; i < axes.Length; i++)
            {
                roiStart[axes[i]] = values[i];
                roiEnd[axes[i]] = values[axes.Length + i];
            }
        }
        return new Plan(output, scales, roiStart, roiEnd, settings);
    }

    private static int OutputSize(Node node, double size, int axis) =>
        size <= Shape.MaxElements
            ? (int)size
            : throw OctetException.AtNode(node, $"output size {size} along axis {axis} is too large");

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var settings = ReadSettings(context.Node);
        var plan = MakePlan(context.Node, xTensor.Shape, settings, context.OptionalInput);

        var dims = xTensor.Shape.ToArray();
        var data = Array.ConvertAll(SmallIntegers.ToFloats(xTensor), v => (double)v);
        for (int axis = 0; axis < dims.Length; axis++)
        {
            bool identity = plan.Scales[axis] == 1 && plan.OutputShape[axis] == dims[axis] &&
                            plan.RoiStart[axis] == 0 && plan.RoiEnd[axis] == 1;
            if (identity) continue;
            var taps = AxisTaps.Make(dims[axis], plan.OutputShape[axis], plan.Scales[axis], plan.RoiStart[axis], plan.RoiEnd[axis], settings);
            data = ResizeAxis(data, dims, axis, taps, settings.ExtrapolationValue);
            dims[axis] = plan.OutputShape[axis];
        }

        var shape = new Shape(plan.OutputShape);
        context.SetOutput(0, xTensor.ElementType switch
        {
            ElementType.Int8 => Tensor.Create(shape, Array.ConvertAll(data, v => (sbyte)Math.Clamp(Math.Round(v), sbyte.MinValue, sbyte.MaxValue))),
            ElementType.UInt8 => Tensor.Create(shape, Array.ConvertAll(data, v => (byte)Math.Clamp(Math.Round(v), byte.MinValue, byte.MaxValue))),
            _ => Tensor.Create(shape, Array.ConvertAll(data, v => (float)v)),
        });
    }

    /// <summary>Blends slices along <paramref name="axis"/>: output[.., o, ..] = sum of weight x input[.., index, ..].</summary>
    private static double[] ResizeAxis(double[] data, int[] dims, int axis, AxisTaps taps, double extrapolationValue)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= dims[i];
        for (int i = axis + 1; i < dims.Length; i++) inner *= dims[i];
        int inLength = dims[axis], outLength = taps.OutputLength;
        var result = new double[(long)outer * outLength * inner];
        for (int o = 0; o < outer; o++)
        {
            for (int p = 0; p < outLength; p++)
            {
                var destination = result.AsSpan((o * outLength + p) * inner, inner);
                if (taps.Extrapolated[p])
                {
                    destination.Fill(extrapolationValue);
                    continue;
                }
                for (int t = 0; t < taps.Count; t++)
                {
                    double weight = taps.Weights[p * taps.Count + t];
                    if (weight == 0) continue;
                    var source = new ReadOnlySpan<double>(data, (o * inLength + taps.Indices[p * taps.Count + t]) * inner, inner);
                    for (int i = 0; i < inner; i++) destination[i] += weight * source[i];
                }
            }
        }
        return result;
    }

    /// <summary>For each output position along one axis: the input positions it reads and their weights.</summary>
    private sealed class AxisTaps
    {
        private AxisTaps(int outputLength, int count)
        {
            OutputLength = outputLength;
            Count = count;
            Indices = new int[outputLength * count];
            Weights = new double[outputLength * count];
            Extrapolated = new bool[outputLength];
        }

        public int OutputLength { get; }
        /// <summary>Taps per output position.</summary>
        public int Count { get; }
        public int[] Indices { get; }
        public double[] Weights { get; }
        /// <summary>tf_crop_and_resize positions outside the input, which take extrapolation_value.</summary>
        public bool[] Extrapolated { get; }

        public static AxisTaps Make(int inLength, int outLength, double scale, double roiStart, double roiEnd, Settings s)
        {
            // Antialiasing widens the filter by 1/scale when downsampling; it changes nothing when upsampling.
            double filterScale = s.Antialias ? Math.Min(scale, 1) : 1;
            int count = s.Mode switch
            {
                "nearest" => 1,
                // Taps at relative offsets first..first+count-1 from the input position just left of x.
                "linear" => 2 - 2 * ((int)Math.Floor(-1 / filterScale) + 1),
                _ => 2 - 2 * ((int)Math.Floor(-2 / filterScale) + 1),
            };
            int first = count == 1 ? 0 : 1 - count / 2;

            var taps = new AxisTaps(outLength, count);
            double unroundedOut = scale * inLength;
            for (int p = 0; p < outLength; p++)
            {
                double x = SourceCoordinate(p, inLength, outLength, unroundedOut, scale, roiStart, roiEnd, s.CoordinateMode);
                if (s.CoordinateMode == "tf_crop_and_resize" && (x < 0 || x > inLength - 1))
                {
                    taps.Extrapolated[p] = true;
                    continue;
                }
                int row = p * count;
                if (s.Mode == "nearest")
                {
                    taps.Indices[row] = Math.Clamp(NearestIndex(x, scale, s), 0, inLength - 1);
                    taps.Weights[row] = 1;
                    continue;
                }

                // "left" is the input position just left of x, so that ratio = x - left is in (0, 1]: an x that
                // falls exactly on an input position is treated as the right end of the interval before it.
                double left = Math.Ceiling(x) - 1;
                double ratio = x - left;
                double total = 0;
                for (int t = 0; t < count; t++)
                {
                    int offset = first + t;
                    long index = (long)left + offset;
                    double weight = s.Mode == "linear"
                        ? LinearWeight(offset - ratio, filterScale)
                        : CubicWeight(offset - ratio, filterScale, s.CubicA);
                    if (s.ExcludeOutside && (index < 0 || index >= inLength)) weight = 0;
                    taps.Indices[row + t] = (int)Math.Clamp(index, 0, inLength - 1);
                    taps.Weights[row + t] = weight;
                    total += weight;
                }
                // Antialiased filters and exclude_outside are normalized to sum to 1.
                if ((s.Antialias || s.ExcludeOutside) && total != 0)
                    for (int t = 0; t < count; t++) taps.Weights[row + t] /= total;
            }
            return taps;
        }

        /// <summary>The input coordinate output position <paramref name="p"/> maps to.</summary>
        private static double SourceCoordinate(int p, int inLength, int outLength, double unroundedOut, double scale,
            double roiStart, double roiEnd, string mode) => mode switch
        {
            "align_corners" => unroundedOut == 1 ? 0 : p * (inLength - 1) / (unroundedOut - 1),
            "asymmetric" => p / scale,
            "tf_crop_and_resize" => (unroundedOut == 1
                ? (roiEnd - roiStart) * (inLength - 1) / 2
                : p * (roiEnd - roiStart) * (inLength - 1) / (unroundedOut - 1)) + roiStart * (inLength - 1),
            "pytorch_half_pixel" => unroundedOut == 1 ? -0.5 : (p + 0.5) / scale - 0.5,
            "tf_half_pixel_for_nn" => (p + 0.5) / scale,
            "half_pixel_symmetric" => inLength / 2.0 * (1 - outLength / unroundedOut) + (p + 0.5) / scale - 0.5,
            _ => (p + 0.5) / scale - 0.5, // half_pixel
        };

        private static int NearestIndex(double x, double scale, Settings s)
        {
            double floor = Math.Floor(x);
            double fraction = x - floor;
            if (fraction == 0) return (int)Math.Clamp(floor, int.MinValue / 2, int.MaxValue / 2);
            bool up = s.Version10
                ? scale < 1 // ONNX Runtime's Resize-10: round up when downsampling, down when upsampling
                : s.NearestMode switch
                {
                    "round_prefer_floor" => fraction > 0.5,
                    "round_prefer_ceil" => fraction >= 0.5,
                    "floor" => false,
                    _ => true, // ceil
                };
            return (int)Math.Clamp(floor + (up ? 1 : 0), int.MinValue / 2, int.MaxValue / 2);
        }

        /// <summary>Triangle filter at distance d (in input pixels), widened by 1/filterScale.</summary>
        private static double LinearWeight(double d, double filterScale) => Math.Max(0, 1 - Math.Abs(d * filterScale));

        /// <summary>Keys' cubic convolution kernel with parameter a at distance d, widened by 1/filterScale.</summary>
        private static double CubicWeight(double d, double filterScale, double a)
        {
            double t = Math.Abs(d * filterScale);
            if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
            if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
            return 0;
        }
    }
}
