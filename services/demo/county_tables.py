"""The demo county's fixed tables: townships, departments by peer group, leaders, task
topics and indicators (names in Chinese and English). ``county.generate`` draws the rest
from a seed."""

TOWNSHIPS = [
    ("城关镇", "Chengguan Town"), ("东关镇", "Dongguan Town"), ("西河镇", "Xihe Town"),
    ("南湖镇", "Nanhu Town"), ("北山乡", "Beishan Township"), ("青石镇", "Qingshi Town"),
    ("白沙镇", "Baisha Town"), ("柳林镇", "Liulin Town"), ("桃源乡", "Taoyuan Township"),
    ("龙泉镇", "Longquan Town"), ("新安镇", "Xin'an Town"), ("石桥乡", "Shiqiao Township"),
]
AGE_BANDS = ("18-34", "35-49", "50-64", "65+")
AGE_SHARES = (0.27, 0.28, 0.26, 0.19)

# (code, zh, en, [(department zh, en), ...]); 12+9+14+10+11+13+12+9+8+8 = 106.
DEPARTMENT_GROUPS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("G01", "党群部门", "Party and mass organisations", [
        ("县委办公室", "County Party Committee Office"),
        ("县人大常委会办公室", "People's Congress Office"),
        ("县政府办公室", "County Government Office"),
        ("县政协办公室", "CPPCC Office"),
        ("县纪委监委", "Discipline Inspection Commission"),
        ("县委组织部", "Organisation Department"),
        ("县委宣传部", "Publicity Department"),
        ("县委统战部", "United Front Department"),
        ("县委政法委", "Political-Legal Committee"),
        ("县总工会", "Federation of Trade Unions"),
        ("团县委", "Communist Youth League"),
        ("县妇联", "Women's Federation"),
    ]),
    ("G02", "政法部门", "Political and legal", [
        ("县公安局", "Public Security Bureau"),
        ("县人民法院", "People's Court"),
        ("县人民检察院", "Procuratorate"),
        ("县司法局", "Justice Bureau"),
        ("县信访局", "Letters and Visits Bureau"),
        ("县国家安全局", "State Security Bureau"),
        ("县禁毒办", "Narcotics Control Office"),
        ("县综治中心", "Social Governance Centre"),
        ("县法律援助中心", "Legal Aid Centre"),
    ]),
    ("G03", "综合经济部门", "Economic management", [
        ("县发展和改革局", "Development and Reform Bureau"),
        ("县财政局", "Finance Bureau"),
        ("县统计局", "Statistics Bureau"),
        ("县审计局", "Audit Bureau"),
        ("县商务局", "Commerce Bureau"),
        ("县经济和信息化局", "Economy and IT Bureau"),
        ("县国有资产服务中心", "State Assets Centre"),
        ("县招商服务中心", "Investment Promotion Centre"),
        ("县金融服务中心", "Financial Services Centre"),
        ("县科学技术局", "Science and Technology Bureau"),
        ("县医疗保障局", "Medical Insurance Bureau"),
        ("县粮食和物资储备局", "Grain Reserve Bureau"),
        ("县工业园区管委会", "Industrial Park Committee"),
        ("县税务局", "Taxation Bureau"),
    ]),
    ("G04", "农业农村部门", "Agriculture and rural affairs", [
        ("县农业农村局", "Agriculture and Rural Affairs Bureau"),
        ("县水利局", "Water Resources Bureau"),
        ("县林业局", "Forestry Bureau"),
        ("县乡村振兴局", "Rural Revitalisation Bureau"),
        ("县畜牧兽医中心", "Animal Husbandry Centre"),
        ("县农机服务中心", "Farm Machinery Centre"),
        ("县供销合作社", "Supply and Marketing Cooperative"),
        ("县气象局", "Meteorological Bureau"),
        ("县农业技术推广中心", "Agricultural Extension Centre"),
        ("县水土保持站", "Soil Conservation Station"),
    ]),
    ("G05", "城建交通部门", "Urban construction and transport", [
        ("县住房和城乡建设局", "Housing and Construction Bureau"),
        ("县交通运输局", "Transport Bureau"),
        ("县自然资源和规划局", "Natural Resources and Planning Bureau"),
        ("县城市管理局", "Urban Management Bureau"),
        ("县生态环境分局", "Ecology and Environment Branch"),
        ("县公路事业发展中心", "Highway Development Centre"),
        ("县住房公积金中心", "Housing Fund Centre"),
        ("县房产服务中心", "Real Estate Services Centre"),
        ("县园林绿化中心", "Landscaping Centre"),
        ("县重点项目办", "Major Projects Office"),
        ("县人防办", "Civil Air Defence Office"),
    ]),
    ("G06", "社会事业部门", "Social services", [
        ("县教育局", "Education Bureau"),
        ("县卫生健康局", "Health Bureau"),
        ("县民政局", "Civil Affairs Bureau"),
        ("县人力资源和社会保障局", "Human Resources and Social Security Bureau"),
        ("县文化和旅游局", "Culture and Tourism Bureau"),
        ("县退役军人事务局", "Veterans Affairs Bureau"),
        ("县残联", "Disabled Persons' Federation"),
        ("县疾控中心", "Disease Control Centre"),
        ("县人民医院", "County People's Hospital"),
        ("县中医院", "Traditional Medicine Hospital"),
        ("县图书馆", "County Library"),
        ("县体育中心", "Sports Centre"),
        ("县档案馆", "County Archives"),
    ]),
    ("G07", "执法监管部门", "Law enforcement and regulation", [
        ("县市场监督管理局", "Market Regulation Bureau"),
        ("县应急管理局", "Emergency Management Bureau"),
        ("县综合行政执法局", "Administrative Enforcement Bureau"),
        ("县交通运输执法大队", "Transport Enforcement Brigade"),
        ("县文化市场执法大队", "Cultural Market Enforcement Brigade"),
        ("县农业执法大队", "Agricultural Enforcement Brigade"),
        ("县生态环境执法大队", "Environmental Enforcement Brigade"),
        ("县消防救援大队", "Fire and Rescue Brigade"),
        ("县安全生产监察大队", "Work Safety Inspectorate"),
        ("县食品药品检验所", "Food and Drug Testing Institute"),
        ("县质量技术监督所", "Quality Supervision Institute"),
        ("县行政审批局", "Administrative Approval Bureau"),
    ]),
    ("G08", "垂直管理部门", "Vertically managed", [
        ("县供电公司", "Power Supply Company"),
        ("县邮政分公司", "Post Office Branch"),
        ("县烟草专卖局", "Tobacco Monopoly Bureau"),
        ("县人民银行支行", "People's Bank Sub-branch"),
        ("县金融监管支局", "Financial Regulation Sub-bureau"),
        ("县电信分公司", "Telecom Branch"),
        ("县移动分公司", "Mobile Branch"),
        ("县联通分公司", "Unicom Branch"),
        ("县调查队", "Survey Team"),
    ]),
    ("G09", "国有企业", "State-owned enterprises", [
        ("县城投集团", "Urban Investment Group"),
        ("县交投公司", "Transport Investment Company"),
        ("县水务公司", "Water Company"),
        ("县农投公司", "Agricultural Investment Company"),
        ("县文旅集团", "Culture and Tourism Group"),
        ("县国资运营公司", "State Capital Operations"),
        ("县公交公司", "Bus Company"),
        ("县粮油公司", "Grain and Oil Company"),
    ]),
    ("G10", "服务保障部门", "Service and support", [
        ("县机关事务服务中心", "Government Affairs Service Centre"),
        ("县融媒体中心", "Media Centre"),
        ("县政务服务中心", "Government Service Centre"),
        ("县大数据中心", "Big Data Centre"),
        ("县接待服务中心", "Reception Centre"),
        ("县党校", "Party School"),
        ("县史志研究室", "Local History Office"),
        ("县保密机要局", "Confidential Affairs Bureau"),
    ]),
]

LEADERS = ("张县长", "李副县长", "王副县长", "刘副县长", "陈副县长", "杨常务副县长", "赵副县长")
TASK_TOPICS = {
    "major_matter": [("营商环境优化", "Business environment"),
                     ("乡村振兴示范", "Rural revitalisation"),
                     ("城区提质扩容", "Urban upgrading"),
                     ("生态环境治理", "Environmental clean-up"),
                     ("民生实事", "Livelihood projects")],
    "key_task": [("招商引资", "Investment attraction"), ("项目建设", "Project construction"),
                 ("安全生产", "Work safety"), ("信访化解", "Petition resolution"),
                 ("教育提质", "Education quality"), ("医疗服务", "Health services"),
                 ("数字政府", "Digital government"), ("河湖治理", "River and lake governance")],
    "city_project": [("高速连接线", "Expressway link"), ("污水处理厂", "Sewage plant"),
                     ("产业园标准厂房", "Industrial park factories"),
                     ("县医院新院区", "New hospital campus"),
                     ("农贸市场改造", "Market renovation"), ("学校扩建", "School expansion")],
}
TASK_PREFIX = {"major_matter": "MM", "key_task": "KT", "city_project": "CP"}
TASK_COUNTS = {"major_matter": 20, "key_task": 68, "city_project": 24}

# Self-check indicators: id -> (zh, en, unit of measure, target range, kinds).
SELF_CHECK_INDICATORS = {
    "sc_target_completion": ("年度目标完成率", "Annual target completion", "%", (8.0, 9.0), None),
    "sc_budget_execution": ("预算执行率", "Budget execution", "%", (7.5, 8.5), None),
    "sc_complaints_closed": ("投诉办结率", "Complaints closed", "%", (95.0, 100.0), None),
    "sc_safety_incidents": ("安全事故数", "Safety incidents", "count", (0.0, 0.0), None),
    "sc_investment": ("固定资产投资", "Fixed-asset investment", "10k CNY", (800.0, 3000.0),
                      ["township"]),
}
DIRECT_INDICATORS = {
    "dir_env_quality": ("生态环境质量指数", "Environmental quality index", "index"),
    "dir_petitions": ("每万人信访量", "Petitions per 10,000 residents", "per 10k"),
}
CORRECTION_REASONS = ("统计口径更正 / corrected statistical scope",
                      "漏报补录 / late entry of a missed figure",
                      "财政数据复核后调整 / adjusted after finance review")

