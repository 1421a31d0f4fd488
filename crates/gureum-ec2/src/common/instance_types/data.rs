//! The instance-type figures: one [`Family`] per family with what its sizes
//! share, and one [`Size`] per size with its own figures (vCPUs, memory,
//! network performance, interfaces, instance store, accelerators), as
//! `DescribeInstanceTypes` and the instance-type specification pages report
//! them.

/// What every size of a family shares.
pub(crate) struct Family {
    pub name: &'static str,
    pub architectures: &'static [&'static str],
    pub manufacturer: &'static str,
    pub clock_ghz: f64,
    pub threads_per_core: u32,
    pub burstable: bool,
    /// `xen` or `nitro` (bare-metal sizes report none).
    pub hypervisor: &'static str,
    pub boot_modes: &'static [&'static str],
    pub ena: &'static str,
    pub ebs_optimized: &'static str,
    pub ebs_nvme: &'static str,
    /// `ssd` or `hdd` when the family has instance store.
    pub disk_type: &'static str,
    /// GPU name, manufacturer, memory per GPU (MiB).
    pub gpu: Option<(&'static str, &'static str, u32)>,
    /// Inferentia2 devices (accelerator count per size in [`Size::accel`]).
    pub neuron: bool,
    /// Sizes with EFA (Elastic Fabric Adapter).
    pub efa_sizes: &'static [&'static str],
    /// The regions offering the family; `None` means every region.
    pub regions: Option<&'static [&'static str]>,
    pub sizes: &'static [Size],
}

/// One size of a family.
pub(crate) struct Size {
    pub size: &'static str,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub network: &'static str,
    pub max_enis: u32,
    pub ipv4_per_eni: u32,
    /// Instance store disks: (count, size in GB each); (0, 0) for EBS only.
    pub disks: (u32, u64),
    /// GPUs or Inferentia devices.
    pub accel: u32,
}

const fn s(
    size: &'static str,
    vcpus: u32,
    memory_mib: u64,
    network: &'static str,
    max_enis: u32,
    ipv4_per_eni: u32,
) -> Size {
    Size {
        size,
        vcpus,
        memory_mib,
        network,
        max_enis,
        ipv4_per_eni,
        disks: (0, 0),
        accel: 0,
    }
}

#[allow(clippy::too_many_arguments)]
const fn d(
    size: &'static str,
    vcpus: u32,
    memory_mib: u64,
    network: &'static str,
    max_enis: u32,
    ipv4_per_eni: u32,
    count: u32,
    gb: u64,
) -> Size {
    Size {
        size,
        vcpus,
        memory_mib,
        network,
        max_enis,
        ipv4_per_eni,
        disks: (count, gb),
        accel: 0,
    }
}

#[allow(clippy::too_many_arguments)]
const fn a(
    size: &'static str,
    vcpus: u32,
    memory_mib: u64,
    network: &'static str,
    max_enis: u32,
    ipv4_per_eni: u32,
    count: u32,
    gb: u64,
    accel: u32,
) -> Size {
    Size {
        size,
        vcpus,
        memory_mib,
        network,
        max_enis,
        ipv4_per_eni,
        disks: (count, gb),
        accel,
    }
}

/// Regions offering the large accelerated and memory-optimized families
/// (inf2, p4d, x2idn) in Gureum: a documented subset, kept small on purpose.
pub(crate) const SELECT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "ap-northeast-1",
    "ap-northeast-2",
];

const X86: &[&str] = &["x86_64"];
const ARM: &[&str] = &["arm64"];
const BIOS_UEFI: &[&str] = &["legacy-bios", "uefi"];
const UEFI: &[&str] = &["uefi"];
const BIOS: &[&str] = &["legacy-bios"];

const GIB: u64 = 1024;

const fn nitro(
    name: &'static str,
    architectures: &'static [&'static str],
    manufacturer: &'static str,
    clock_ghz: f64,
    sizes: &'static [Size],
) -> Family {
    let arm = architectures.len() == 1 && architectures[0].len() == 5; // "arm64"
    Family {
        name,
        architectures,
        manufacturer,
        clock_ghz,
        threads_per_core: if arm { 1 } else { 2 },
        burstable: false,
        hypervisor: "nitro",
        boot_modes: if arm { UEFI } else { BIOS_UEFI },
        ena: "required",
        ebs_optimized: "default",
        ebs_nvme: "required",
        disk_type: "ssd",
        gpu: None,
        neuron: false,
        efa_sizes: &[],
        regions: None,
        sizes,
    }
}

const UP5: &str = "Up to 5 Gigabit";
const UP10: &str = "Up to 10 Gigabit";
const UP12: &str = "Up to 12.5 Gigabit";

/// Sizes of a 6th-generation Intel family (m6i, c6i, r6i) with `gib` GiB per vCPU.
macro_rules! sixth_gen {
    ($gib:expr) => {
        &[
            s("large", 2, 2 * $gib * GIB, UP12, 3, 10),
            s("xlarge", 4, 4 * $gib * GIB, UP12, 4, 15),
            s("2xlarge", 8, 8 * $gib * GIB, UP12, 4, 15),
            s("4xlarge", 16, 16 * $gib * GIB, UP12, 8, 30),
            s("8xlarge", 32, 32 * $gib * GIB, "12.5 Gigabit", 8, 30),
            s("12xlarge", 48, 48 * $gib * GIB, "18.75 Gigabit", 8, 30),
            s("16xlarge", 64, 64 * $gib * GIB, "25 Gigabit", 15, 50),
            s("24xlarge", 96, 96 * $gib * GIB, "37.5 Gigabit", 15, 50),
            s("32xlarge", 128, 128 * $gib * GIB, "50 Gigabit", 15, 50),
            s("metal", 128, 128 * $gib * GIB, "50 Gigabit", 15, 50),
        ]
    };
}

/// Sizes of a Graviton3 family (m7g, c7g, r7g) with `gib` GiB per vCPU.
macro_rules! graviton3 {
    ($gib:expr) => {
        &[
            s("medium", 1, $gib * GIB, UP12, 2, 4),
            s("large", 2, 2 * $gib * GIB, UP12, 3, 10),
            s("xlarge", 4, 4 * $gib * GIB, UP12, 4, 15),
            s("2xlarge", 8, 8 * $gib * GIB, UP12, 4, 15),
            s("4xlarge", 16, 16 * $gib * GIB, UP12, 8, 30),
            s("8xlarge", 32, 32 * $gib * GIB, "15 Gigabit", 8, 30),
            s("12xlarge", 48, 48 * $gib * GIB, "22.5 Gigabit", 8, 30),
            s("16xlarge", 64, 64 * $gib * GIB, "30 Gigabit", 15, 50),
            s("metal", 64, 64 * $gib * GIB, "30 Gigabit", 15, 50),
        ]
    };
}

/// Sizes of a 5th-generation Intel family (m5, r5) with `gib` GiB per vCPU.
macro_rules! fifth_gen {
    ($gib:expr) => {
        &[
            s("large", 2, 2 * $gib * GIB, UP10, 3, 10),
            s("xlarge", 4, 4 * $gib * GIB, UP10, 4, 15),
            s("2xlarge", 8, 8 * $gib * GIB, UP10, 4, 15),
            s("4xlarge", 16, 16 * $gib * GIB, UP10, 8, 30),
            s("8xlarge", 32, 32 * $gib * GIB, "10 Gigabit", 8, 30),
            s("12xlarge", 48, 48 * $gib * GIB, "10 Gigabit", 8, 30),
            s("16xlarge", 64, 64 * $gib * GIB, "20 Gigabit", 15, 50),
            s("24xlarge", 96, 96 * $gib * GIB, "25 Gigabit", 15, 50),
            s("metal", 96, 96 * $gib * GIB, "25 Gigabit", 15, 50),
        ]
    };
}

const BURSTABLE_SIZES: &[Size] = &[
    s("nano", 2, 512, UP5, 2, 2),
    s("micro", 2, GIB, UP5, 2, 2),
    s("small", 2, 2 * GIB, UP5, 3, 4),
    s("medium", 2, 4 * GIB, UP5, 3, 6),
    s("large", 2, 8 * GIB, UP5, 3, 12),
    s("xlarge", 4, 16 * GIB, UP5, 4, 15),
    s("2xlarge", 8, 32 * GIB, UP5, 4, 15),
];

const fn burstable(
    name: &'static str,
    architectures: &'static [&'static str],
    manufacturer: &'static str,
    clock_ghz: f64,
    sizes: &'static [Size],
) -> Family {
    let mut f = nitro(name, architectures, manufacturer, clock_ghz, sizes);
    f.burstable = true;
    f
}

/// Every family in the catalogue.
pub(crate) static FAMILIES: &[Family] = &[
    Family {
        threads_per_core: 1,
        burstable: true,
        hypervisor: "xen",
        boot_modes: BIOS,
        ena: "unsupported",
        ebs_optimized: "unsupported",
        ebs_nvme: "unsupported",
        ..nitro(
            "t2",
            &["i386", "x86_64"],
            "Intel",
            2.5,
            &[
                s("nano", 1, 512, "Low to Moderate", 2, 2),
                s("micro", 1, GIB, "Low to Moderate", 2, 2),
                s("small", 1, 2 * GIB, "Low to Moderate", 3, 4),
                s("medium", 2, 4 * GIB, "Low to Moderate", 3, 6),
                s("large", 2, 8 * GIB, "Low to Moderate", 3, 12),
                s("xlarge", 4, 16 * GIB, "Moderate", 3, 15),
                s("2xlarge", 8, 32 * GIB, "Moderate", 3, 15),
            ],
        )
    },
    burstable("t3", X86, "Intel", 2.5, BURSTABLE_SIZES),
    burstable(
        "t3a",
        X86,
        "AMD",
        2.2,
        &[
            s("nano", 2, 512, UP5, 2, 2),
            s("micro", 2, GIB, UP5, 2, 2),
            s("small", 2, 2 * GIB, UP5, 2, 4),
            s("medium", 2, 4 * GIB, UP5, 3, 6),
            s("large", 2, 8 * GIB, UP5, 3, 12),
            s("xlarge", 4, 16 * GIB, UP5, 4, 15),
            s("2xlarge", 8, 32 * GIB, UP5, 4, 15),
        ],
    ),
    burstable("t4g", ARM, "AWS", 2.5, BURSTABLE_SIZES),
    nitro("m5", X86, "Intel", 3.1, fifth_gen!(4)),
    Family {
        efa_sizes: &["32xlarge", "metal"],
        ..nitro("m6i", X86, "Intel", 3.5, sixth_gen!(4))
    },
    Family {
        efa_sizes: &["48xlarge", "metal-48xl"],
        ..nitro(
            "m7i",
            X86,
            "Intel",
            3.2,
            &[
                s("large", 2, 8 * GIB, UP12, 3, 10),
                s("xlarge", 4, 16 * GIB, UP12, 4, 15),
                s("2xlarge", 8, 32 * GIB, UP12, 4, 15),
                s("4xlarge", 16, 64 * GIB, UP12, 8, 30),
                s("8xlarge", 32, 128 * GIB, "12.5 Gigabit", 8, 30),
                s("12xlarge", 48, 192 * GIB, "18.75 Gigabit", 8, 30),
                s("16xlarge", 64, 256 * GIB, "25 Gigabit", 15, 50),
                s("24xlarge", 96, 384 * GIB, "37.5 Gigabit", 15, 50),
                s("48xlarge", 192, 768 * GIB, "50 Gigabit", 15, 50),
                s("metal-24xl", 96, 384 * GIB, "37.5 Gigabit", 15, 50),
                s("metal-48xl", 192, 768 * GIB, "50 Gigabit", 15, 50),
            ],
        )
    },
    Family {
        efa_sizes: &["16xlarge", "metal"],
        ..nitro("m7g", ARM, "AWS", 2.6, graviton3!(4))
    },
    nitro(
        "c5",
        X86,
        "Intel",
        3.4,
        &[
            s("large", 2, 4 * GIB, UP10, 3, 10),
            s("xlarge", 4, 8 * GIB, UP10, 4, 15),
            s("2xlarge", 8, 16 * GIB, UP10, 4, 15),
            s("4xlarge", 16, 32 * GIB, UP10, 8, 30),
            s("9xlarge", 36, 72 * GIB, "10 Gigabit", 8, 30),
            s("12xlarge", 48, 96 * GIB, "12 Gigabit", 8, 30),
            s("18xlarge", 72, 144 * GIB, "25 Gigabit", 15, 50),
            s("24xlarge", 96, 192 * GIB, "25 Gigabit", 15, 50),
            s("metal", 96, 192 * GIB, "25 Gigabit", 15, 50),
        ],
    ),
    Family {
        efa_sizes: &["32xlarge", "metal"],
        ..nitro("c6i", X86, "Intel", 3.5, sixth_gen!(2))
    },
    Family {
        efa_sizes: &["16xlarge", "metal"],
        ..nitro("c7g", ARM, "AWS", 2.6, graviton3!(2))
    },
    nitro("r5", X86, "Intel", 3.1, fifth_gen!(8)),
    Family {
        efa_sizes: &["32xlarge", "metal"],
        ..nitro("r6i", X86, "Intel", 3.5, sixth_gen!(8))
    },
    Family {
        efa_sizes: &["16xlarge", "metal"],
        ..nitro("r7g", ARM, "AWS", 2.6, graviton3!(8))
    },
    Family {
        efa_sizes: &["32xlarge", "metal"],
        regions: Some(SELECT_REGIONS),
        ..nitro(
            "x2idn",
            X86,
            "Intel",
            3.5,
            &[
                d("16xlarge", 64, 1024 * GIB, "50 Gigabit", 15, 50, 1, 1900),
                d("24xlarge", 96, 1536 * GIB, "75 Gigabit", 15, 50, 2, 1425),
                d("32xlarge", 128, 2048 * GIB, "100 Gigabit", 15, 50, 2, 1900),
                d("metal", 128, 2048 * GIB, "100 Gigabit", 15, 50, 2, 1900),
            ],
        )
    },
    Family {
        hypervisor: "xen",
        boot_modes: BIOS,
        ena: "supported",
        ebs_nvme: "unsupported",
        ..nitro(
            "i3",
            X86,
            "Intel",
            2.3,
            &[
                d("large", 2, 15616, UP10, 3, 10, 1, 475),
                d("xlarge", 4, 31232, UP10, 4, 15, 1, 950),
                d("2xlarge", 8, 62464, UP10, 4, 15, 1, 1900),
                d("4xlarge", 16, 124928, UP10, 8, 30, 2, 1900),
                d("8xlarge", 32, 249856, "10 Gigabit", 8, 30, 4, 1900),
                d("16xlarge", 64, 499712, "25 Gigabit", 15, 50, 8, 1900),
                d("metal", 72, 524288, "25 Gigabit", 15, 50, 8, 1900),
            ],
        )
    },
    Family {
        efa_sizes: &["32xlarge", "metal"],
        ..nitro(
            "i4i",
            X86,
            "Intel",
            3.5,
            &[
                d("large", 2, 16 * GIB, "Up to 10 Gigabit", 3, 10, 1, 468),
                d("xlarge", 4, 32 * GIB, "Up to 25 Gigabit", 4, 15, 1, 937),
                d("2xlarge", 8, 64 * GIB, "Up to 25 Gigabit", 4, 15, 1, 1875),
                d("4xlarge", 16, 128 * GIB, "Up to 25 Gigabit", 8, 30, 1, 3750),
                d("8xlarge", 32, 256 * GIB, "18.75 Gigabit", 8, 30, 2, 3750),
                d("12xlarge", 48, 384 * GIB, "28.125 Gigabit", 8, 30, 3, 3750),
                d("16xlarge", 64, 512 * GIB, "37.5 Gigabit", 15, 50, 4, 3750),
                d("24xlarge", 96, 768 * GIB, "56.25 Gigabit", 15, 50, 6, 3750),
                d("32xlarge", 128, 1024 * GIB, "75 Gigabit", 15, 50, 8, 3750),
                d("metal", 128, 1024 * GIB, "75 Gigabit", 15, 50, 8, 3750),
            ],
        )
    },
    Family {
        disk_type: "hdd",
        ..nitro(
            "d3",
            X86,
            "Intel",
            3.1,
            &[
                d("xlarge", 4, 32 * GIB, "Up to 15 Gigabit", 4, 3, 3, 2000),
                d("2xlarge", 8, 64 * GIB, "Up to 15 Gigabit", 4, 5, 6, 2000),
                d(
                    "4xlarge",
                    16,
                    128 * GIB,
                    "Up to 15 Gigabit",
                    4,
                    10,
                    12,
                    2000,
                ),
                d("8xlarge", 32, 256 * GIB, "25 Gigabit", 3, 20, 24, 2000),
            ],
        )
    },
    Family {
        gpu: Some(("A100", "NVIDIA", 40960)),
        efa_sizes: &["24xlarge"],
        regions: Some(SELECT_REGIONS),
        ..nitro(
            "p4d",
            X86,
            "Intel",
            3.0,
            &[a(
                "24xlarge",
                96,
                1152 * GIB,
                "4x 100 Gigabit",
                60,
                50,
                8,
                1000,
                8,
            )],
        )
    },
    Family {
        gpu: Some(("A10G", "NVIDIA", 22888)),
        efa_sizes: &["8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"],
        ..nitro(
            "g5",
            X86,
            "AMD",
            3.3,
            &[
                a("xlarge", 4, 16 * GIB, UP10, 4, 15, 1, 250, 1),
                a("2xlarge", 8, 32 * GIB, UP10, 4, 15, 1, 450, 1),
                a(
                    "4xlarge",
                    16,
                    64 * GIB,
                    "Up to 25 Gigabit",
                    8,
                    30,
                    1,
                    600,
                    1,
                ),
                a("8xlarge", 32, 128 * GIB, "25 Gigabit", 8, 30, 1, 900, 1),
                a("12xlarge", 48, 192 * GIB, "40 Gigabit", 15, 50, 1, 3800, 4),
                a("16xlarge", 64, 256 * GIB, "25 Gigabit", 8, 30, 1, 1900, 1),
                a("24xlarge", 96, 384 * GIB, "50 Gigabit", 15, 50, 1, 3800, 4),
                a("48xlarge", 192, 768 * GIB, "100 Gigabit", 7, 50, 2, 3800, 8),
            ],
        )
    },
    Family {
        neuron: true,
        efa_sizes: &["48xlarge"],
        regions: Some(SELECT_REGIONS),
        ..nitro(
            "inf2",
            X86,
            "AMD",
            2.95,
            &[
                a("xlarge", 4, 16 * GIB, "Up to 15 Gigabit", 4, 15, 0, 0, 1),
                a("8xlarge", 32, 128 * GIB, "Up to 25 Gigabit", 4, 15, 0, 0, 1),
                a("24xlarge", 96, 384 * GIB, "50 Gigabit", 15, 50, 0, 0, 6),
                a("48xlarge", 192, 768 * GIB, "100 Gigabit", 15, 50, 0, 0, 12),
            ],
        )
    },
];
