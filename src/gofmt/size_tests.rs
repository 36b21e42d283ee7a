use super::*;

#[test]
fn ram_in_bytes_as_go_units() {
    // go-units size_test.go (TestRAMInBytes) and docker's flag errors.
    let ok = [
        ("32", 32),
        ("32b", 32),
        ("32B", 32),
        ("32k", 32 * 1024),
        ("32K", 32 * 1024),
        ("32kb", 32 * 1024),
        ("32Kb", 32 * 1024),
        ("32Mb", 32 * 1024 * 1024),
        ("32Gb", 32 * 1024 * 1024 * 1024),
        ("32Tb", 32 * 1024_i64.pow(4)),
        ("32Pb", 32 * 1024_i64.pow(5)),
        ("32PB", 32 * 1024_i64.pow(5)),
        ("32P", 32 * 1024_i64.pow(5)),
        ("32.3", 32),
        ("32.3 mb", 33869004),
        ("32.3mib", 33869004),
        ("64m", 67108864),
        ("512m", 536870912),
        ("1g", 1073741824),
        ("1GiB", 1073741824),
        ("1.5g", 1610612736),
        ("512k", 524288),
        ("64mb", 67108864),
        ("1.", 1),
        (".5k", 512),
        ("1e3", 1000),
    ];
    for (text, want) in ok {
        assert_eq!(ram_in_bytes(text), Ok(want), "{text}");
    }
    // What the Docker CLI 28 answered for each (go-units 0.5's parseSize).
    let bad = [
        ("", "invalid size: ''"),
        ("hello", "invalid size: 'hello'"),
        ("-32", "invalid size: '-32'"),
        ("-1", "invalid size: '-1'"),
        (
            " 32 ",
            "strconv.ParseFloat: parsing \" 32\": invalid syntax",
        ),
        (
            "32m b",
            "strconv.ParseFloat: parsing \"32m\": invalid syntax",
        ),
        (
            "1.2.3",
            "strconv.ParseFloat: parsing \"1.2.3\": invalid syntax",
        ),
        ("32bm", "invalid suffix: 'bm'"),
        ("1x", "invalid suffix: 'x'"),
        ("1kx", "invalid suffix: 'kx'"),
        ("1kbb", "invalid suffix: 'kbb'"),
        ("1KBBB", "invalid suffix: 'KBBB'"),
    ];
    for (text, want) in bad {
        assert_eq!(ram_in_bytes(text), Err(want.to_string()), "{text:?}");
    }
}

#[test]
fn from_human_size_as_go_units() {
    let ok = [
        ("32", 32),
        ("32kb", 32_000),
        ("32KB", 32_000),
        ("32Mb", 32_000_000),
        ("10m", 10_000_000),
        ("1.5GB", 1_500_000_000),
        ("32.5KB", 32_500),
    ];
    for (text, want) in ok {
        assert_eq!(from_human_size(text), Ok(want), "{text}");
    }
    assert_eq!(from_human_size("x"), Err("invalid size: 'x'".into()));
}

#[test]
fn human_size_as_go_units() {
    // go-units size_test.go and docker output: four significant digits.
    let cases = [
        (1000.0, "1kB"),
        (1024.0, "1.024kB"),
        (1234.0, "1.234kB"),
        (999.0, "999B"),
        (10_000.0, "10kB"),
        (2_150_400.0, "2.15MB"),
        (1000000.0, "1MB"),
        (1048576.0, "1.049MB"),
        (2.0 * 1000.0 * 1000.0, "2MB"),
        (3.42 * 1000.0 * 1000.0 * 1000.0, "3.42GB"),
        (5.372 * 1e12, "5.372TB"),
        (2.22 * 1e15, "2.22PB"),
        (1e18, "1EB"),
        (1e21, "1ZB"),
        (1e28, "1e+04YB"),
        (0.0, "0B"),
        (10.0, "10B"),
    ];
    for (size, want) in cases {
        assert_eq!(human_size(size), want, "{size}");
    }
}

#[test]
fn precision_three_as_docker_ps_and_images() {
    let cases = [
        (4_258_000.0, "4.26MB"),
        (4_200_000.0, "4.2MB"),
        (1_234_567_890.0, "1.23GB"),
        (999_500.0, "1e+03kB"),
        (100.0, "100B"),
        (0.0, "0B"),
        (2.0, "2B"),
    ];
    for (size, want) in cases {
        assert_eq!(human_size_with_precision(size, 3), want, "{size}");
    }
}

#[test]
fn bytes_size_as_docker_stats() {
    let cases = [
        (1024.0, "1KiB"),
        (1024.0 * 1024.0, "1MiB"),
        (1048576.0 * 64.0, "64MiB"),
        (3.42 * 1024.0 * 1024.0 * 1024.0, "3.42GiB"),
        (5.372 * 1024.0_f64.powi(4), "5.372TiB"),
        (2.22 * 1024.0_f64.powi(5), "2.22PiB"),
        (1000.0, "1000B"),
        (0.0, "0B"),
        (1.5 * 1024.0 * 1024.0, "1.5MiB"),
        (1.5 * 1024.0 * 1024.0 * 1024.0, "1.5GiB"),
    ];
    for (size, want) in cases {
        assert_eq!(bytes_size(size), want, "{size}");
    }
}
