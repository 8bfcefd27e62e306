using Xunit;
using Octet.Generator.Plan;
using static Octet.Tests.CodeGeneration.Generator.TestPlanBuilder;

namespace Octet.Tests.CodeGeneration.Generator;

/// <summary>Hand-built plans that use only data-movement ops, so the generator tests do not depend on compute emitters.</summary>
public static class SmallPlans
{
    public const float InputScale = 0.05f;
    public const int InputZeroPoint = -3;

    /// <summary>
    /// "pool-8": float input [1,2,5,5] quantized at the edge to int8, relaid out to NHWC, max-pooled (3×3, stride 2,
    /// pads 1) to [1,2,3,3], relaid out back, dequantized at the edge. RunQuantized exists.
    /// </summary>
    public static ModelPlan QuantizedPool(string model = "pool-8")
    {
        var b = new TestPlanBuilder(model, ModelPlan.IntegerOnly);
        var x = b.Arena("x", "float32", [1, 2, 5, 5]);
        var xq = b.Arena("x_q", "int8", [1, 2, 5, 5]);
        var xn = b.Arena("x_nhwc", "int8", [1, 2, 5, 5], "NHWC");
        var pn = b.Arena("pool_nhwc", "int8", [1, 2, 3, 3], "NHWC");
        var pq = b.Arena("pool_q", "int8", [1, 2, 3, 3]);
        var y = b.Arena("y", "float32", [1, 2, 3, 3]);
        b.Input("x", x, new PlanEdgeQuantization(xq, "int8", InputScale, InputZeroPoint));
        b.Output("y", y, new PlanEdgeQuantization(pq, "int8", InputScale, InputZeroPoint));
        b.Op("octet.Relayout", "to_nhwc", [xq], [xn]);
        b.Op("MaxPool", "pool", [xn], [pn], Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        b.Op("octet.Relayout", "to_rowmajor", [pn], [pq]);
        return b.Build();
    }

    /// <summary>"shuffle": float [2,3,4] → Transpose [2,0,1] → [4,2,3] → Reshape (a view) [4,6] → Concat with an inline [4,1] along axis 1 → [4,7].</summary>
    public static ModelPlan FloatShuffle(string model = "shuffle")
    {
        var b = new TestPlanBuilder(model);
        var x = b.Arena("x", "float32", [2, 3, 4]);
        var t = b.Arena("t", "float32", [4, 2, 3]);
        b.Arena("r", "float32", [4, 6], offset: b.OffsetOf(t));
        var c = b.Inline("c", "float32", [4, 1], 0.5, -1.25, 3, 1e-3);
        var y = b.Arena("y", "float32", [4, 7]);
        b.Input("x", x);
        b.Output("y", y);
        b.Op("Transpose", "transpose", [x], [t], Ints("perm", 2, 0, 1));
        b.Op("Reshape", "reshape", [t], ["r"]);
        b.Op("Concat", "concat", ["r", c], [y], Int("axis", 1));
        return b.Build();
    }
}
