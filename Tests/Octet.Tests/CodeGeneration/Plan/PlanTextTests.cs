using Octet.Generator.Plan;
using Xunit;

namespace Octet.Tests.CodeGeneration.Plan;

public sealed class PlanTextTests
{
    [Fact]
    public void Writing_then_parsing_gives_back_an_equal_plan_and_the_same_text()
    {
        var plan = PlanFixtures.Small();
        string text = PlanWriter.Write(plan);

        var result = PlanParser.Parse(text, "tiny.plan");

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.Equal(plan, result.Plan);
        Assert.Equal(text, PlanWriter.Write(result.Plan!));
    }

    [Fact]
    public void The_text_follows_the_lexical_rules()
    {
        string text = PlanWriter.Write(PlanFixtures.Small());

        Assert.DoesNotContain("\r", text);
        Assert.EndsWith("end\n", text);
        Assert.StartsWith("octet-plan 1\nmodel \"tiny model\"\n", text);
        Assert.Contains("\ninput \"in put\" tensor \"in put\" quantize x_q int8 scale 0.0078125 zero-point -3\n", text);
        Assert.Contains("\ntensor \"w\\\"eird\\\\name\\n\u00e9\" int8 [2,2,1,1] OHWI weights 64 bytes 4\n", text);
        Assert.Contains("\ntensor scalar int64 [] rowmajor arena 240 bytes 8\n", text);
        Assert.Contains("\ntensor scale float32 [3] rowmajor inline bytes 12 values NaN -Infinity -0\n", text);
        Assert.Contains("\n  from Relu \"\"\n", text);
        Assert.Contains("\n  inputs x_q \"w\\\"eird\\\\name\\n\u00e9\" bias \"\"\n", text);
        Assert.Contains("\n  attr empty ints\n", text);
        Assert.Contains("\n  attr auto_pad string NOTSET\n".Replace("NOTSET", "\"NOTSET\""), text);
        Assert.Contains("\nop 1 octet.Relayout relayout\n  inputs y_q\n  outputs out scalar\nend\n", text);
    }

    [Fact]
    public void Attributes_are_written_sorted_by_name_whatever_their_order()
    {
        var plan = PlanFixtures.Small();
        var op = plan.Ops[0];
        var shuffled = plan with
        {
            Ops = PlanFixtures.List(op with { Attributes = op.Attributes.Reverse().ToEquatableArray() }, plan.Ops[1]),
        };

        Assert.Equal(PlanWriter.Write(plan), PlanWriter.Write(shuffled));
    }

    [Theory]
    [InlineData(0.1f)]
    [InlineData(1f / 3f)]
    [InlineData(float.Epsilon)]
    [InlineData(float.MaxValue)]
    [InlineData(-1.17549435E-38f)]
    [InlineData(16777217f)]
    public void Floats_round_trip_through_their_plan_spelling(float value)
    {
        Assert.True(PlanText.TryParseFloat(PlanText.Float(value), out float back));
        Assert.Equal(BitConverter.SingleToInt32Bits(value), BitConverter.SingleToInt32Bits(back));
    }

    [Theory]
    [InlineData("plain_name.0:1/2-3", "plain_name.0:1/2-3")]
    [InlineData("", "\"\"")]
    [InlineData("a b", "\"a b\"")]
    [InlineData("tab\there", "\"tab\\there\"")]
    [InlineData("bell\u0007", "\"bell\\u0007\"")]
    public void Names_are_bare_only_when_safe(string name, string expected)
    {
        Assert.Equal(expected, PlanText.Name(name));
        var tokens = new List<PlanToken>();
        Assert.True(PlanText.TryTokenize(expected, tokens, out _));
        Assert.Equal(name, Assert.Single(tokens).Text);
    }

    [Fact]
    public void A_lone_surrogate_is_escaped_so_the_plan_stays_valid_utf8()
    {
        Assert.Equal("\"lone\\ud800\"", PlanText.Name("lone\ud800"));
    }

    [Fact]
    public void Crlf_line_ends_and_comments_are_accepted()
    {
        string text = "# written by hand\n" + PlanWriter.Write(PlanFixtures.Small()).Replace("\n", "\r\n");

        var result = PlanParser.Parse(text, "crlf.plan");

        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        Assert.Equal(PlanFixtures.Small(), result.Plan);
    }

    [Fact]
    public void Another_version_is_its_own_problem_naming_the_file_and_both_versions()
    {
        string text = PlanWriter.Write(PlanFixtures.Small()).Replace("octet-plan 1\n", "octet-plan 2\n");

        var result = PlanParser.Parse(text, "Models/tiny.plan");

        Assert.Null(result.Plan);
        var problem = Assert.Single(result.Problems);
        Assert.Equal(PlanProblemKind.VersionMismatch, problem.Kind);
        Assert.Equal(1, problem.Line);
        Assert.Contains("Models/tiny.plan", problem.Message);
        Assert.Contains("version 2", problem.Message);
        Assert.Contains("version 1", problem.Message);
    }

    [Fact]
    public void Something_that_is_not_a_plan_is_refused_on_its_first_line()
    {
        var result = PlanParser.Parse("<?xml version=\"1.0\"?>\n<Project />\n", "x.csproj");

        var problem = Assert.Single(result.Problems);
        Assert.Equal(PlanProblemKind.Malformed, problem.Kind);
        Assert.Equal(1, problem.Line);
        Assert.Null(result.Plan);
    }

    [Fact]
    public void An_empty_file_is_a_problem_not_an_exception()
    {
        var result = PlanParser.Parse("", "empty.plan");

        Assert.Null(result.Plan);
        Assert.NotEmpty(result.Problems);
    }

    /// <summary>Each case replaces one line of the valid fixture; the problem must be reported on that line.</summary>
    [Theory]
    [InlineData("model ", "model")]
    [InlineData("source ", "source x.onnx sha256 ABC")]
    [InlineData("numerics ", "numerics float64")]
    [InlineData("memory ", "memory arena 256 lower-bound -1 naive 320")]
    [InlineData("weights ", "weights bytes 128 sha")]
    [InlineData("input ", "input a tensor b quantize x_q int16 scale 1 zero-point 0")]
    [InlineData("input ", "input \"in put\" tensor \"in put\" quantize x_q int8 scale 1 zero-point 200")]
    [InlineData("output ", "output out tensor missing")]
    [InlineData("tensor x_q ", "tensor x_q int8 [1,2,2,2] NHWC arena 64 bytes 9")]
    [InlineData("tensor x_q ", "tensor x_q int8 [1,2,2] NHWC arena 64 bytes 4")]
    [InlineData("tensor x_q ", "tensor x_q int9 [1,2,2,2] NHWC arena 64 bytes 8")]
    [InlineData("tensor x_q ", "tensor x_q int8 [1,2,2,2] NCHW arena 64 bytes 8")]
    [InlineData("tensor x_q ", "tensor x_q int8 [1,2,-2,2] NHWC arena 64 bytes 8")]
    [InlineData("tensor x_q ", "tensor x_q int8 [1,2,2,2] NHWC arena 250 bytes 8")]
    [InlineData("tensor x_q ", "tensor x_q int8 [1,2,2,2] NHWC heap 64 bytes 8")]
    [InlineData("tensor x_q ", "tensor x_q int8 [1,2,2,2] NHWC arena 9223372036854775807 bytes 8")]
    [InlineData("tensor x_q ", "tensor x_q int8 [2147483647,2147483647,2147483647,2147483647] NHWC arena 0 bytes 8")]
    [InlineData("tensor \"w", "tensor w int8 [2,2,1,1] OHWI weights 32 bytes 4")]
    [InlineData("tensor bias ", "tensor bias int32 [2] rowmajor inline bytes 8 values 1")]
    [InlineData("tensor bias ", "tensor bias int32 [2] rowmajor inline bytes 8 values 1 2.5")]
    [InlineData("tensor scale ", "tensor x_q float32 [] rowmajor inline bytes 4 values 1")]
    [InlineData("tensor scalar ", "tensor scalar int64 [] rowmajor arena 240 bytes 8 \"unterminated")]
    [InlineData("op 1 ", "op 2 octet.Relayout relayout")]
    [InlineData("op 1 ", "op one octet.Relayout relayout")]
    [InlineData("  inputs y_q", "  inputs nowhere")]
    [InlineData("  outputs out ", "  outputs bias")]
    [InlineData("  attr group ", "  attr group int 1.5")]
    [InlineData("  attr group ", "  attr group int 1 2")]
    [InlineData("  attr group ", "  attr group integer 1")]
    [InlineData("  attr group ", "  attr auto_pad int 1")]
    [InlineData("  attr note ", "  attr note string bare")]
    [InlineData("  attr note ", "  wat")]
    [InlineData("  from Relu", "  from Relu")]
    [InlineData("tensor scalar ", "end")]
    [InlineData("numerics ", "model again")]
    public void A_malformed_line_is_reported_with_its_number(string linePrefix, string replacement)
    {
        string[] lines = PlanWriter.Write(PlanFixtures.Small()).Split('\n');
        int index = Array.FindIndex(lines, l => l.StartsWith(linePrefix, StringComparison.Ordinal));
        Assert.True(index >= 0, $"fixture has no line starting with '{linePrefix}'");
        lines[index] = replacement;

        var result = PlanParser.Parse(string.Join("\n", lines), "bad.plan");

        Assert.Null(result.Plan);
        Assert.NotEmpty(result.Problems);
        Assert.Contains(result.Problems, p => p.Line == index + 1);
        Assert.All(result.Problems, p => Assert.Equal(PlanProblemKind.Malformed, p.Kind));
    }

    [Fact]
    public void A_missing_end_is_reported()
    {
        string text = PlanWriter.Write(PlanFixtures.Small());
        text = text.Substring(0, text.Length - "end\n".Length);

        var result = PlanParser.Parse(text, "bad.plan");

        Assert.Null(result.Plan);
        Assert.Contains(result.Problems, p => p.Message.Contains("no 'end'"));
    }

    [Fact]
    public void Every_truncation_of_a_valid_plan_parses_without_throwing()
    {
        string text = PlanWriter.Write(PlanFixtures.Small());
        for (int length = 0; length < text.Length; length++)
        {
            var result = PlanParser.Parse(text.Substring(0, length), "cut.plan");
            // A cut at a line end may still be a valid (shorter) plan; otherwise there must be problems.
            Assert.True(result.Succeeded || result.Problems.Count > 0);
        }
    }
}
