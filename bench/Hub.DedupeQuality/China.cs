namespace Hub.DedupeQuality;

/// <summary>The tables the generator draws from: provinces with a few of their real prefecture codes and names
/// (GB/T 2260) weighted by population, surnames by frequency, given names, trade-name characters, industries, and
/// characters that are commonly typed for one another (homophones and look-alikes).</summary>
internal static class China
{
    public sealed record City(string Code4, string Name);

    public sealed record Province(string Code, string Name, string Suffix, double Weight, City[] Cities)
    {
        public string FullName => Name + Suffix;
    }

    public static readonly Province[] Provinces =
    [
        new("11", "北京", "市", 2.2, [new("1101", "北京")]),
        new("12", "天津", "市", 1.4, [new("1201", "天津")]),
        new("13", "河北", "省", 7.4, [new("1301", "石家庄"), new("1302", "唐山"), new("1306", "保定"), new("1309", "沧州")]),
        new("14", "山西", "省", 3.5, [new("1401", "太原"), new("1402", "大同"), new("1408", "运城")]),
        new("15", "内蒙古", "自治区", 2.4, [new("1501", "呼和浩特"), new("1502", "包头"), new("1504", "赤峰")]),
        new("21", "辽宁", "省", 4.3, [new("2101", "沈阳"), new("2102", "大连"), new("2103", "鞍山")]),
        new("22", "吉林", "省", 2.4, [new("2201", "长春"), new("2202", "吉林")]),
        new("23", "黑龙江", "省", 3.2, [new("2301", "哈尔滨"), new("2302", "齐齐哈尔"), new("2306", "大庆")]),
        new("31", "上海", "市", 2.5, [new("3101", "上海")]),
        new("32", "江苏", "省", 8.5, [new("3201", "南京"), new("3202", "无锡"), new("3205", "苏州"), new("3206", "南通"), new("3203", "徐州")]),
        new("33", "浙江", "省", 6.5, [new("3301", "杭州"), new("3302", "宁波"), new("3303", "温州"), new("3307", "金华")]),
        new("34", "安徽", "省", 6.1, [new("3401", "合肥"), new("3402", "芜湖"), new("3411", "滁州"), new("3412", "阜阳")]),
        new("35", "福建", "省", 4.2, [new("3501", "福州"), new("3502", "厦门"), new("3505", "泉州")]),
        new("36", "江西", "省", 4.5, [new("3601", "南昌"), new("3607", "赣州"), new("3609", "宜春")]),
        new("37", "山东", "省", 10.2, [new("3701", "济南"), new("3702", "青岛"), new("3706", "烟台"), new("3707", "潍坊"), new("3713", "临沂")]),
        new("41", "河南", "省", 9.9, [new("4101", "郑州"), new("4103", "洛阳"), new("4113", "南阳"), new("4115", "信阳")]),
        new("42", "湖北", "省", 5.8, [new("4201", "武汉"), new("4205", "宜昌"), new("4206", "襄阳")]),
        new("43", "湖南", "省", 6.6, [new("4301", "长沙"), new("4303", "湘潭"), new("4304", "衡阳")]),
        new("44", "广东", "省", 12.6, [new("4401", "广州"), new("4403", "深圳"), new("4406", "佛山"), new("4419", "东莞"), new("4413", "惠州")]),
        new("45", "广西", "壮族自治区", 5.0, [new("4501", "南宁"), new("4502", "柳州"), new("4503", "桂林")]),
        new("46", "海南", "省", 1.0, [new("4601", "海口"), new("4602", "三亚")]),
        new("50", "重庆", "市", 3.2, [new("5001", "重庆")]),
        new("51", "四川", "省", 8.4, [new("5101", "成都"), new("5107", "绵阳"), new("5113", "南充")]),
        new("52", "贵州", "省", 3.9, [new("5201", "贵阳"), new("5203", "遵义")]),
        new("53", "云南", "省", 4.7, [new("5301", "昆明"), new("5303", "曲靖"), new("5325", "红河")]),
        new("54", "西藏", "自治区", 0.3, [new("5401", "拉萨")]),
        new("61", "陕西", "省", 4.0, [new("6101", "西安"), new("6103", "宝鸡"), new("6108", "榆林")]),
        new("62", "甘肃", "省", 2.5, [new("6201", "兰州"), new("6205", "天水")]),
        new("63", "青海", "省", 0.6, [new("6301", "西宁")]),
        new("64", "宁夏", "回族自治区", 0.7, [new("6401", "银川")]),
        new("65", "新疆", "维吾尔自治区", 2.6, [new("6501", "乌鲁木齐"), new("6531", "喀什"), new("6540", "伊犁")]),
    ];

    public static readonly Dictionary<string, string> ProvincePinyin = new()
    {
        ["11"] = "Beijing", ["12"] = "Tianjin", ["13"] = "Hebei", ["14"] = "Shanxi", ["15"] = "Inner Mongolia", ["21"] = "Liaoning",
        ["22"] = "Jilin", ["23"] = "Heilongjiang", ["31"] = "Shanghai", ["32"] = "Jiangsu", ["33"] = "Zhejiang", ["34"] = "Anhui",
        ["35"] = "Fujian", ["36"] = "Jiangxi", ["37"] = "Shandong", ["41"] = "Henan", ["42"] = "Hubei", ["43"] = "Hunan",
        ["44"] = "Guangdong", ["45"] = "Guangxi", ["46"] = "Hainan", ["50"] = "Chongqing", ["51"] = "Sichuan", ["52"] = "Guizhou",
        ["53"] = "Yunnan", ["54"] = "Tibet", ["61"] = "Shaanxi", ["62"] = "Gansu", ["63"] = "Qinghai", ["64"] = "Ningxia", ["65"] = "Xinjiang",
    };

    /// <summary>The commonest surnames with their approximate share (per cent) of the population.</summary>
    public static readonly (string Name, double Weight)[] Surnames =
    [
        ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2), ("赵", 2.1), ("吴", 2.0), ("周", 1.9),
        ("徐", 1.5), ("孙", 1.5), ("马", 1.4), ("朱", 1.3), ("胡", 1.3), ("郭", 1.1), ("何", 1.1), ("高", 1.0), ("林", 1.0), ("罗", 0.9),
        ("郑", 0.8), ("梁", 0.8), ("谢", 0.7), ("宋", 0.6), ("唐", 0.6), ("许", 0.6), ("韩", 0.5), ("冯", 0.5), ("邓", 0.5), ("曹", 0.5),
        ("彭", 0.5), ("曾", 0.5), ("肖", 0.5), ("田", 0.4), ("董", 0.4), ("袁", 0.4), ("潘", 0.4), ("于", 0.4), ("蒋", 0.4), ("蔡", 0.4),
        ("余", 0.4), ("杜", 0.3), ("叶", 0.3), ("程", 0.3), ("苏", 0.3), ("魏", 0.3), ("吕", 0.3), ("丁", 0.3), ("任", 0.3), ("沈", 0.3),
        ("姚", 0.2), ("卢", 0.2), ("姜", 0.2), ("崔", 0.2), ("钟", 0.2), ("谭", 0.2), ("陆", 0.2), ("汪", 0.2), ("范", 0.2), ("金", 0.2),
        ("欧阳", 0.05), ("司马", 0.01), ("诸葛", 0.01), ("上官", 0.01),
    ];

    /// <summary>The commonest full names (张伟 is borne by some 290,000 people).</summary>
    public static readonly (string Name, bool Male)[] CommonNames =
    [
        ("张伟", true), ("王伟", true), ("王芳", false), ("李伟", true), ("李娜", false), ("张敏", false), ("李静", false), ("王静", false),
        ("刘伟", true), ("王秀英", false), ("张丽", false), ("李秀英", false), ("王丽", false), ("张静", false), ("张秀英", false), ("李强", true),
        ("王敏", false), ("李敏", false), ("王磊", true), ("刘洋", true), ("王艳", false), ("王勇", true), ("李军", true), ("张勇", true),
        ("李杰", true), ("张杰", true), ("张磊", true), ("王强", true), ("李娟", false), ("王军", true),
    ];

    public static readonly string[] MaleGiven =
    [
        "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞", "斌", "波", "宇", "浩", "凯",
        "建国", "建华", "建军", "志强", "志明", "国强", "国庆", "海涛", "晓东", "俊杰", "文博", "子轩", "浩然", "宇航", "家豪", "文斌",
        "立新", "永强", "德明", "振华", "红军", "卫东", "小龙", "天宇", "一鸣", "博文", "晨阳", "思远", "俊豪", "铭轩",
    ];

    public static readonly string[] FemaleGiven =
    [
        "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "琳", "颖", "倩", "洁", "丹", "萍", "红", "梅",
        "秀英", "秀兰", "桂英", "玉兰", "海燕", "晓燕", "丽娟", "春梅", "雪梅", "美玲", "淑珍", "欣怡", "子涵", "梓涵", "雨涵", "诗琪",
        "佳怡", "思雨", "婉婷", "晓丽", "丽华", "文静", "慧敏", "秀珍", "凤英", "金凤", "月华", "雅琴", "红梅", "晓红",
    ];

    /// <summary>Uyghur names as registered, given name · father's name.</summary>
    public static readonly string[] UyghurNames =
    [
        "买买提·艾力", "阿不都热合曼·吐尔逊", "古丽娜尔·买买提", "艾尼瓦尔·阿不都拉", "热依拉·艾买提", "阿依古丽·吐尔逊", "努尔艾力·玉素甫",
        "帕提古丽·阿不力孜", "吐尔洪·买买提", "迪丽努尔·艾合买提", "依明·托合提", "麦合木提·阿布都", "阿迪力·热合曼", "祖丽菲娅·艾则孜",
    ];

    /// <summary>How a list writes the dot of such a name when it does not use the middle dot.</summary>
    public static readonly string[] DotVariants = ["•", "．", "", " ", "-", "・"];

    /// <summary>Characters typed for one another: homophones (the input method offers both) and look-alikes.</summary>
    public static readonly Dictionary<char, string> Confusions = new()
    {
        ['伟'] = "玮炜苇", ['芳'] = "方坊", ['娜'] = "那纳", ['敏'] = "闵珉", ['静'] = "晶婧", ['丽'] = "莉俐", ['强'] = "蔷", ['磊'] = "垒",
        ['军'] = "君均", ['勇'] = "永涌", ['杰'] = "洁", ['涛'] = "滔", ['明'] = "铭鸣", ['华'] = "桦骅", ['飞'] = "菲", ['斌'] = "彬",
        ['波'] = "博", ['宇'] = "雨禹", ['浩'] = "昊", ['凯'] = "锴", ['国'] = "帼", ['建'] = "健剑", ['志'] = "智", ['海'] = "亥",
        ['晓'] = "小筱", ['俊'] = "峻骏", ['文'] = "雯", ['燕'] = "艳", ['玲'] = "琳翎", ['婷'] = "亭", ['雪'] = "学", ['颖'] = "莹",
        ['红'] = "虹宏", ['梅'] = "玫", ['英'] = "瑛", ['兰'] = "岚", ['秀'] = "琇", ['霞'] = "侠", ['娟'] = "鹃", ['鑫'] = "新欣",
        ['源'] = "元沅", ['恒'] = "衡", ['达'] = "大", ['宏'] = "鸿弘", ['远'] = "原", ['瑞'] = "锐睿", ['丰'] = "峰锋", ['盛'] = "胜",
        ['泰'] = "太", ['隆'] = "龙", ['昌'] = "长", ['兴'] = "星", ['旺'] = "望", ['祥'] = "翔", ['嘉'] = "佳家", ['康'] = "慷",
        ['博'] = "搏", ['创'] = "闯", ['汇'] = "惠会", ['通'] = "同", ['德'] = "得", ['润'] = "闰", ['成'] = "诚城", ['信'] = "鑫",
        ['辉'] = "晖", ['立'] = "力利", ['荣'] = "蓉", ['星'] = "兴", ['辰'] = "晨", ['卓'] = "桌", ['腾'] = "滕", ['锦'] = "金",
    };

    /// <summary>Characters of trade names (字号), the commonest first, with their pinyin for English names.</summary>
    public static readonly (char Han, string Pinyin)[] TradeCharacters =
    [
        ('华', "hua"), ('信', "xin"), ('鑫', "xin"), ('源', "yuan"), ('恒', "heng"), ('达', "da"), ('宏', "hong"), ('远', "yuan"),
        ('金', "jin"), ('鼎', "ding"), ('瑞', "rui"), ('丰', "feng"), ('盛', "sheng"), ('泰', "tai"), ('隆', "long"), ('昌', "chang"),
        ('兴', "xing"), ('旺', "wang"), ('福', "fu"), ('祥', "xiang"), ('嘉', "jia"), ('和', "he"), ('安', "an"), ('康', "kang"),
        ('博', "bo"), ('创', "chuang"), ('新', "xin"), ('科', "ke"), ('汇', "hui"), ('通', "tong"), ('德', "de"), ('润', "run"),
        ('天', "tian"), ('成', "cheng"), ('中', "zhong"), ('海', "hai"), ('东', "dong"), ('方', "fang"), ('建', "jian"), ('永', "yong"),
        ('顺', "shun"), ('佳', "jia"), ('宇', "yu"), ('联', "lian"), ('诚', "cheng"), ('弘', "hong"), ('明', "ming"), ('光', "guang"),
        ('阳', "yang"), ('辉', "hui"), ('立', "li"), ('正', "zheng"), ('合', "he"), ('益', "yi"), ('荣', "rong"), ('星', "xing"),
        ('辰', "chen"), ('晟', "sheng"), ('铭', "ming"), ('卓', "zhuo"), ('峰', "feng"), ('业', "ye"), ('腾', "teng"), ('凯', "kai"),
        ('聚', "ju"), ('锦', "jin"), ('绿', "lv"), ('城', "cheng"), ('美', "mei"), ('云', "yun"), ('山', "shan"), ('江', "jiang"),
        ('湖', "hu"), ('龙', "long"), ('凤', "feng"), ('长', "chang"), ('久', "jiu"), ('万', "wan"), ('百', "bai"), ('亿', "yi"),
        ('皖', "wan"), ('苏', "su"), ('浙', "zhe"), ('鲁', "lu"), ('豫', "yu"), ('粤', "yue"), ('蜀', "shu"), ('湘', "xiang"),
        ('启', "qi"), ('航', "hang"), ('智', "zhi"), ('慧', "hui"), ('恩', "en"), ('欣', "xin"), ('悦', "yue"), ('宁', "ning"),
        ('富', "fu"), ('贵', "gui"), ('吉', "ji"), ('利', "li"), ('元', "yuan"), ('亨', "heng"), ('广', "guang"), ('大', "da"),
        ('伟', "wei"), ('俊', "jun"), ('森', "sen"), ('林', "lin"), ('泽', "ze"), ('豪', "hao"), ('峻', "jun"),
    ];

    public static readonly (string Han, string English)[] Industries =
    [
        ("建设工程", "Construction Engineering"), ("建筑工程", "Building Engineering"), ("商贸", "Trading"), ("贸易", "Trade"), ("科技", "Technology"),
        ("电子科技", "Electronic Technology"), ("信息技术", "Information Technology"), ("网络科技", "Network Technology"), ("食品", "Food"),
        ("物流", "Logistics"), ("房地产开发", "Real Estate Development"), ("餐饮管理", "Catering Management"), ("农业发展", "Agricultural Development"),
        ("机械制造", "Machinery Manufacturing"), ("医药", "Pharmaceutical"), ("环保科技", "Environmental Technology"), ("新材料", "New Materials"),
        ("服饰", "Apparel"), ("家具", "Furniture"), ("建材", "Building Materials"), ("汽车销售", "Auto Sales"), ("文化传媒", "Culture Media"),
        ("教育咨询", "Education Consulting"), ("劳务派遣", "Labour Dispatch"), ("装饰工程", "Decoration Engineering"), ("化工", "Chemical"),
        ("投资管理", "Investment Management"), ("物业管理", "Property Management"), ("运输", "Transport"), ("矿业", "Mining"),
    ];

    public static readonly string[] Roads = ["人民路", "解放路", "中山路", "建设路", "长江路", "黄河路", "和平路", "胜利路", "新华路", "文化路", "工业大道", "科技园路", "开发区大道", "丰乐大道", "滨江路"];
    public static readonly string[] Districts = ["城关区", "新城区", "高新技术产业开发区", "经济技术开发区", "东城区", "西城区", "南湖区", "北湖区"];
}
