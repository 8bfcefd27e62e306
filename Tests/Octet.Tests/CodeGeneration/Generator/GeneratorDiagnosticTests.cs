using Xunit;
using Microsoft.CodeAnalysis;
using Octet.Generator;
using Octet.Generator.Plan;
using static Octet.Tests.CodeGeneration.Generator.TestPlanBuilder;

namespace Octet.Tests.CodeGeneration.Generator;

/// <summary>Every problem with a plan becomes one OCT diagnostic located in the plan file; the generator never throws.</summary>
public class GeneratorDiagnosticTests
{
    private static Diagnostic Single(GeneratorOutcome outcome, string id)
    {
        Assert.Null(outcome.Result.Exception);
        var diagnostic = Assert.Single(outcome.Diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        return diagnostic;
    }

    [Fact]
    public void OCT001_malformed_plan_points_at_the_line()
    {
        string text = PlanWriter.Write(SmallPlans.FloatShuffle());
        var lines = text.Split('\n').ToList();
        int line = lines.FindIndex(l => l.StartsWith("tensor ", StringComparison.Ordinal)) + 1;
        lines[line - 1] = "tensor broken float32 [oops] rowmajor arena 0 bytes 4";
        var outcome = GeneratorHarness.Run(new PlanInput("/plans/bad.octet-plan", string.Join("\n", lines)));

        var diagnostic = Assert.Single(outcome.Diagnostics, d => d.GetMessage().Contains("broken"));
        Assert.Equal("OCT001", diagnostic.Id);
        Assert.Equal("/plans/bad.octet-plan", diagnostic.Location.GetLineSpan().Path);
        Assert.Equal(line - 1, diagnostic.Location.GetLineSpan().StartLinePosition.Line);
        Assert.Contains($"bad.octet-plan({line})", diagnostic.GetMessage());
        Assert.Empty(outcome.Sources);
    }

    [Fact]
    public void OCT002_version_mismatch_names_both_versions()
    {
        string text = PlanWriter.Write(SmallPlans.FloatShuffle()).Replace("octet-plan 1\n", "octet-plan 7\n");
        var diagnostic = Single(GeneratorHarness.Run(new PlanInput("/plans/future.octet-plan", text)), "OCT002");
        Assert.Contains("7", diagnostic.GetMessage());
        Assert.Contains("1", diagnostic.GetMessage());
    }

    [Fact]
    public void OCT003_two_plans_for_one_class_keep_the_first_and_report_the_second()
    {
        var outcome = GeneratorHarness.Run(
            PlanInput.From(SmallPlans.FloatShuffle(), "Same", "My.Models", "/plans/a.octet-plan"),
            PlanInput.From(SmallPlans.QuantizedPool(), "Same", "My.Models", "/plans/b.octet-plan"));
        var diagnostic = Single(outcome, "OCT003");
        Assert.Equal("/plans/b.octet-plan", diagnostic.Location.GetLineSpan().Path);
        Assert.Contains("My.Models.Same", diagnostic.GetMessage());
        Assert.Single(outcome.Sources);
        Assert.Empty(outcome.CompilationProblems);
    }

    [Fact]
    public void OCT004_unknown_op_type_points_at_the_op_and_the_class_still_compiles()
    {
        var b = new TestPlanBuilder("odd");
        var x = b.Arena("x", "float32", [4]);
        var y = b.Arena("y", "float32", [4]);
        b.Input("x", x);
        b.Output("y", y);
        b.Op("com.example.Frobnicate", "frob", [x], [y]);
        var plan = b.Build();
        var text = PlanWriter.Write(plan);
        var diagnostic = Single(GeneratorHarness.Run(new PlanInput("/plans/odd.octet-plan", text, "Odd", "My.Models")), "OCT004");
        Assert.Contains("com.example.Frobnicate", diagnostic.GetMessage());
        Assert.Contains("frob", diagnostic.GetMessage());
        int opLine = text.Split('\n').ToList().FindIndex(l => l.StartsWith("op 0 ", StringComparison.Ordinal));
        Assert.Equal(opLine, diagnostic.Location.GetLineSpan().StartLinePosition.Line);

        var outcome = GeneratorHarness.Run(new PlanInput("/plans/odd.octet-plan", text, "Odd", "My.Models"));
        Assert.Empty(outcome.CompilationProblems);
    }

    [Fact]
    public void OCT004_an_emitter_that_cannot_handle_an_op_explains_why()
    {
        var b = new TestPlanBuilder("pool-indices", ModelPlan.IntegerOnly);
        var x = b.Arena("x", "int8", [1, 1, 4, 4], "NHWC");
        var y = b.Arena("y", "int8", [1, 1, 2, 2], "NHWC");
        var i = b.Arena("i", "int64", [1, 1, 2, 2], "NHWC");
        var xr = b.Arena("xr", "int8", [1, 1, 4, 4]);
        var yr = b.Arena("yr", "int8", [1, 1, 2, 2]);
        b.Input("x", xr);
        b.Output("y", yr);
        b.Op("octet.Relayout", "r", [xr], [x]);
        b.Op("MaxPool", "pool", [x], [y, i], Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        b.Op("octet.Relayout", "back", [y], [yr]);
        var diagnostic = Single(GeneratorHarness.Run(PlanInput.From(b.Build(), "P", "My.Models")), "OCT004");
        Assert.Contains("Indices", diagnostic.GetMessage());
    }

    [Theory]
    [InlineData("2Fast", "My.Models", "class name '2Fast'")]
    [InlineData("class", "My.Models", "class name 'class'")]
    [InlineData("Fine", "My..Models", "namespace 'My..Models'")]
    [InlineData("Fine", "My.Models-1", "namespace 'My.Models-1'")]
    public void OCT005_invalid_class_or_namespace_names(string className, string @namespace, string expected)
    {
        var diagnostic = Single(GeneratorHarness.Run(PlanInput.From(SmallPlans.FloatShuffle(), className, @namespace)), "OCT005");
        Assert.Contains(expected, diagnostic.GetMessage());
    }

    [Fact]
    public void OCT006_inline_constants_whose_csharp_names_collide()
    {
        var b = new TestPlanBuilder("collide");
        var x = b.Arena("x", "float32", [1, 1]);
        var c1 = b.Inline("c.1", "float32", [1, 1], 1);
        var c2 = b.Inline("c_1", "float32", [1, 1], 2);
        var y = b.Arena("y", "float32", [1, 3]);
        b.Input("x", x);
        b.Output("y", y);
        b.Op("Concat", "concat", [x, c1, c2], [y], Int("axis", 1));
        var outcome = GeneratorHarness.Run(PlanInput.From(b.Build(), "Collide", "My.Models"));
        var diagnostic = Assert.Single(outcome.Diagnostics);
        Assert.Equal("OCT006", diagnostic.Id);
        Assert.Contains("Constant_c_1", diagnostic.GetMessage());
    }

    [Fact]
    public void Garbage_input_gives_diagnostics_never_an_exception()
    {
        var inputs = new[] { "", "\0\0\0", "octet-plan", "octet-plan 1\nmodel", "octet-plan 1\n" + new string('x', 10000), "op 0 Relu r\nend" };
        for (int i = 0; i < inputs.Length; i++)
        {
            var outcome = GeneratorHarness.Run(new PlanInput($"/plans/g{i}.octet-plan", inputs[i]));
            Assert.Null(outcome.Result.Exception);
            Assert.NotEmpty(outcome.Diagnostics);
            Assert.All(outcome.Diagnostics, d => Assert.Equal("OCT001", d.Id));
        }
    }
}
